"""Shared helpers for the app's tests: a settled pilot, screen text, no blinking cursor."""

from __future__ import annotations

import importlib.util
import io

import pytest
from textual.widgets import Input

from app.screenshot import settle  # noqa: F401  (re-exported for the tests)

SIZE = (120, 40)


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def engines_ready(workload: str = "order-1001") -> bool:
    """True once every engine's version of the workload exists (they are built in parallel)."""
    package = workload.replace("-", "_")
    return all(has_module(f"workloads.{package}.{e}") for e in ("replay", "dag", "statemachine"))


needs_engines = pytest.mark.skipif(not engines_ready(), reason="workloads/order_1001/{replay,dag,statemachine}.py not built yet")


def screen_text(app) -> str:
    """What the terminal shows right now, as plain text (top screen, with what shows through)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def static_text(widget) -> str:
    """The plain text of a Static's content, whether a string, a Text or a Rich renderable."""
    from rich.console import Console
    from rich.text import Text

    content = widget.content
    if isinstance(content, (str, Text)):
        return str(content)
    console = Console(width=1000, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch):
    """A blinking cursor would make screenshots differ from run to run."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
