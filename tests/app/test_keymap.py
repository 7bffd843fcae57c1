"""Every binding has an id, so an instructor's keymap file can put a clicker's keys on the actions."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.canvas_app import WorkflowCanvasApp
from app.cli.common import CliError
from app.keymap import binding_ids, load_keymap

from .conftest import SIZE, settle


def test_every_binding_in_the_app_has_a_unique_id():
    """Every BINDINGS list under app/ (found by walking the package, not a hand-kept list)."""
    import importlib
    import inspect
    import pkgutil

    import app as app_package
    from textual.binding import Binding
    from textual.dom import DOMNode

    bindings = []
    for info in pkgutil.walk_packages(app_package.__path__, "app."):
        module = importlib.import_module(info.name)
        for _, owner in inspect.getmembers(module, inspect.isclass):
            if issubclass(owner, DOMNode) and owner.__module__ == info.name:
                bindings += [b for b in owner.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
    assert len(bindings) >= 35
    assert all(b.id for b in bindings), [b.action for b in bindings if not b.id]
    assert len({b.id for b in bindings}) == len(bindings)
    assert {b.id for b in bindings} == set(binding_ids())  # the keymap knows every one


async def test_a_keymap_moves_an_action_to_another_key(tmp_path):
    path = tmp_path / "clicker.toml"
    path.write_text('"app.lessons" = "f5"\n"app.canvas" = "f6"\n', encoding="utf-8")
    app = WorkflowCanvasApp(keymap=load_keymap(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")  # its old key no longer opens the lessons
        await settle(pilot)
        assert app.current_mode == "canvas"
        await pilot.press("f5")
        await settle(pilot)
        assert app.current_mode == "lessons"
        await pilot.press("f6")
        await settle(pilot)
        assert app.current_mode == "canvas"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"run.stpe" = "pagedown"\n', r"k\.toml: run\.stpe: no binding has this id \(did you mean run\.step\?\)"),
        ('"run.step" = 3\n', r"k\.toml: run\.step: expected keys as a string"),
        ('"run.step" = "a,,b"\n', r"k\.toml: run\.step: expected keys as a string"),
        ('"run.step" = \n', r"k\.toml: not valid TOML"),
    ],
)
def test_a_bad_keymap_file_is_one_clear_error(tmp_path, text, expected):
    path = tmp_path / "k.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CliError, match=expected):
        load_keymap(path)


def test_the_cli_refuses_a_bad_keymap_before_taking_the_terminal(tmp_path):
    path = tmp_path / "k.toml"
    path.write_text('"nope" = "x"\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "app.cli.main", "--keymap", str(path)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"workflow-canvas: error: {path}: nope: no binding has this id "
                                                f"(ids: {', '.join(sorted(binding_ids()))})"]
