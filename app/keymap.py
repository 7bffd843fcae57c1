"""A user's keymap: binding id → keys, so an instructor can put a clicker's keys on the actions.

Every binding in the app has an id (`run.step`, `app.lessons`, …); Textual's `App.set_keymap`
replaces the keys of the bindings whose ids a keymap names. A keymap file is TOML, one line a
binding, e.g.:

    "run.step" = "pagedown"
    "run.back" = "pageup"
    "app.help" = "f1,question_mark"
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from app.cli.common import CliError


def binding_ids() -> dict[str, str]:
    """Every binding id in the app → its description (imports the screens, so call it lazily)."""
    from app.canvas_app import WorkflowCanvasApp
    from app.screens.canvas import CanvasScreen
    from app.screens.help import HelpScreen
    from app.screens.history import HistoryScreen
    from app.screens.lesson import LessonScreen
    from app.screens.run import RunScreen
    from app.serve.confirm_quit import ConfirmQuit
    from app.widgets.card import CardWidget
    from app.widgets.knobs import KnobControl
    from app.widgets.weights import WeightsTable

    found: dict[str, str] = {}
    for owner in (WorkflowCanvasApp, CanvasScreen, RunScreen, HistoryScreen, LessonScreen, HelpScreen, CardWidget,
                  WeightsTable, KnobControl, ConfirmQuit):
        for binding in owner.BINDINGS:
            if getattr(binding, "id", None):
                found[binding.id] = binding.description  # type: ignore[union-attr]
    return found


def load_keymap(path: str | Path) -> dict[str, str]:
    """Read and check a keymap file; CliError naming the file, the binding id and the problem."""
    path = Path(path)
    from engines.inputs import read_user_text

    text = read_user_text(path, "keymap file")  # a FIFO, a binary or a UTF-16 file: one line, no hang
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise CliError(f"{path}: nested too deeply to be a keymap") from None
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"{path}: not valid TOML: {exc}") from None
    known = binding_ids()
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, list(known), n=1)
            hint = f"did you mean {close[0]}?" if close else f"ids: {', '.join(sorted(known))}"
            raise CliError(f"{path}: {binding_id}: no binding has this id ({hint})")
        if not isinstance(keys, str) or not keys.strip() or any(not k.strip() for k in keys.split(",")):
            raise CliError(f"{path}: {binding_id}: expected keys as a string like \"pagedown\" or \"n,right\", got {keys!r}")
        keymap[binding_id] = keys
    return keymap
