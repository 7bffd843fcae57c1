"""Help: the keys grouped by what a user is doing, read from the live bindings (never a hand-kept list).

A newcomer asks "how do I get to the lessons?" or "what can I do on this screen?", not "which
widget owns this key", so the rows are grouped by task: this screen's own keys first, then how
to move between the four screens, then what works anywhere, then the other screens' keys (what
they will find there). Only bindings with an id are listed — the app's own actions, the ones a
--keymap file can move; a widget's scrolling keys (↑ ↓ pgup home…) are the terminal's usual and
would bury the rest. A key a --keymap file moved is shown as the user's key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from app.widgets.card import plain, terminal_safe

MOVE = "Move between screens"
ANYWHERE = "Anywhere"
CANVAS = "On the canvas"
LESSON = "In a lesson"
RUN = "Run view"
INSPECTOR = "In the inspector"

#: Binding ids of the four screens' keys (app.canvas_app), in the footer's order.
SCREEN_IDS = ("app.canvas", "app.run_view", "app.inspect", "app.lessons")
#: A binding id's first part → the task it belongs to.
PREFIX_GROUPS = {"canvas": CANVAS, "card": CANVAS, "weights": CANVAS, "verifier": CANVAS, "deck": CANVAS,
                 "lesson": LESSON, "knob": LESSON, "run": RUN, "history": INSPECTOR, "app": ANYWHERE,
                 "help": ANYWHERE}
#: Each mode's own group (the one that comes first in its help).
MODE_GROUPS = {"canvas": CANVAS, "lessons": LESSON, "run": RUN, "history": INSPECTOR}
#: Bindings without an id that a user still needs (Textual's own), by action.
UNNAMED_ACTIONS = {"command_palette": "Command palette",
                   "focus_next": "Next control", "focus_previous": "Previous control"}


@dataclass(frozen=True)
class KeyHelp:
    key: str
    description: str
    where: str  # the task group the key belongs to ("In a lesson", "Anywhere"…)
    in_footer: bool = True
    binding_id: str = ""  # what a --keymap file names to put other keys on it


def group_of(binding: Binding) -> str | None:
    """The task group of a binding, or None for one that help leaves out (a widget's scrolling)."""
    if binding.id in SCREEN_IDS:
        return MOVE
    if binding.id:
        return PREFIX_GROUPS.get(binding.id.split(".", 1)[0], ANYWHERE)
    return ANYWHERE if binding.action in UNNAMED_ACTIONS else None


def _rows(pairs: Iterable[tuple[Binding, str]]) -> list[KeyHelp]:
    """(binding, key shown) pairs → one row per binding, its keys joined ("n / ]")."""
    keys: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], Binding] = {}
    for binding, shown in pairs:
        group = group_of(binding)
        if group is None:
            continue
        description = ((UNNAMED_ACTIONS.get(binding.action) if not binding.id else None)
                       or binding.description or binding.tooltip or binding.action)
        ident = (binding.id or binding.action, description)
        first.setdefault(ident, binding)
        if shown not in keys.setdefault(ident, []):
            keys[ident].append(shown)
    return [KeyHelp(" / ".join(keys[ident]), ident[1], group_of(binding) or ANYWHERE, binding.show, binding.id or "")
            for ident, binding in first.items()]


def live_key_help(screen: Screen, others: Iterable[type] = ()) -> list[KeyHelp]:
    """The keys that work on `screen` now, then those of the classes in `others` (other screens)."""
    app = screen.app
    rows = _rows((active.binding, app.get_key_display(active.binding)) for active in screen.active_bindings.values())
    seen = {(row.binding_id, row.description) for row in rows}
    keymap: dict[str, str] = getattr(app, "_keymap", {}) or {}  # Textual's own: binding id -> the user's keys
    elsewhere: list[tuple[Binding, str]] = []
    for owner in others:
        for binding in getattr(owner, "BINDINGS", []):
            if not isinstance(binding, Binding) or not binding.id:
                continue
            keys = keymap.get(binding.id, binding.key)
            for key in keys.split(","):
                one = replace(binding, key=key.strip())
                elsewhere.append((one, app.get_key_display(one)))
    rows += [row for row in _rows(elsewhere) if (row.binding_id, row.description) not in seen]
    return rows


def grouped(rows: list[KeyHelp], mode: str) -> list[tuple[str, list[KeyHelp]]]:
    """Rows by task group: this mode's group, moving, anywhere, then the other screens' groups."""
    order = [MODE_GROUPS.get(mode, ""), MOVE, ANYWHERE, CANVAS, LESSON, RUN, INSPECTOR]
    groups: dict[str, list[KeyHelp]] = {}
    for row in rows:
        groups.setdefault(row.where, []).append(row)
    ranked = sorted(groups, key=lambda g: order.index(g) if g in order else len(order))
    return [(g, sorted(groups[g], key=lambda r: not r.in_footer)) for g in ranked]


class HelpScreen(ModalScreen[None]):
    """A modal table of the keys, grouped by task, the screen below's own first."""

    CSS_PATH = Path(__file__).with_name("help.tcss")  # absolute: subclasses live elsewhere
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close help", id="help.close")]

    def __init__(self, rows: list[KeyHelp], title: str, mode: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title
        self.mode = mode

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = escape(f"Keys — {terminal_safe(self.title_text)}")  # a border title is markup
            table: DataTable = DataTable(id="help-table", cursor_type="row", zebra_stripes=False)
            table.add_columns("key", "does", "--keymap id")
            for group, rows in grouped(self.rows, self.mode):
                table.add_row(Text(""), Text(terminal_safe(group), style="bold underline"), Text(""),
                              key=f"group:{group}")
                for row in rows:
                    # A DataTable reads a str cell as markup: a key shown as "[" or a --keymap file's text would break it.
                    table.add_row(plain(row.key, "bold"), plain(row.description), plain(row.binding_id, "dim"))
            yield table
            yield Static("Mouse: drag a card onto an engine zone. Esc closes.", id="help-foot")

    def action_dismiss(self, result=None) -> None:  # type: ignore[override]
        self.dismiss(None)
