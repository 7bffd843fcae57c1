"""Help: every key that works right now, read from the live bindings (never a hand-kept list)."""

from __future__ import annotations

from pathlib import Path
from dataclasses import dataclass

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from app.widgets.card import plain, terminal_safe


@dataclass(frozen=True)
class KeyHelp:
    key: str
    description: str
    where: str
    in_footer: bool = True
    binding_id: str = ""  # what a --keymap file names to put other keys on it


def live_key_help(screen) -> list[KeyHelp]:
    """The bindings active on `screen` (focused widget, screen, app), as rows for the help table."""
    app = screen.app
    rows: list[KeyHelp] = []
    seen: set[tuple[str, str]] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        description = binding.description or binding.tooltip or binding.action
        node = active.node
        where = "app" if node is app else type(node).__name__
        shown = app.get_key_display(binding)
        if (shown, description) in seen:
            continue
        seen.add((shown, description))
        rows.append(KeyHelp(shown, description, where, binding.show, binding.id or ""))
    # The footer's keys first, then the rest (scrolling, focus…), each in binding order.
    return sorted(rows, key=lambda row: not row.in_footer)


class HelpScreen(ModalScreen[None]):
    """A modal table of the keys that work on the screen below it."""

    CSS_PATH = Path(__file__).with_name("help.tcss")  # absolute: subclasses live elsewhere
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close help", id="help.close")]

    def __init__(self, rows: list[KeyHelp], title: str) -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = escape(f"Keys — {terminal_safe(self.title_text)}")  # a border title is markup
            table: DataTable = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("key", "does", "from", "id (--keymap)")
            for row in self.rows:
                # A DataTable reads a str cell as markup: a key shown as "[" or a --keymap file's text would break it.
                table.add_row(*(plain(cell) for cell in (row.key, row.description, row.where, row.binding_id)))
            yield table
            yield Static(
                "Mouse: drag a card onto an engine zone. ctrl+p: command palette. Esc closes.",
                id="help-foot",
            )

    def action_dismiss(self, result=None) -> None:  # type: ignore[override]
        self.dismiss(None)
