"""Ask before `q` ends a served session: in a browser tab, quitting leaves a dead page.

In a terminal, `q` ends the app and the shell comes back; in a browser tab (textual-serve), it
ends the tab's app process and the page goes blank with nothing to start it again but a reload —
in front of a class, a stray `q` on the instructor's keyboard. So in a served app `q` asks first.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

QUESTION = "End this session?"
EXPLAIN = "The app stops and this page goes blank; reload it to start again."


class ConfirmQuit(ModalScreen[bool]):
    """y / Enter on "Quit" ends the session; n, Escape or q again keeps it."""

    DEFAULT_CSS = """
    ConfirmQuit {
        align: center middle;
        background: $background 60%;
    }
    ConfirmQuit #confirm-box {
        width: 50;
        max-width: 95%;
        height: auto;
        border: thick $error;
        background: $surface;
        padding: 0 1;
    }
    ConfirmQuit #confirm-question {
        text-style: bold;
    }
    ConfirmQuit #confirm-buttons {
        height: auto;
        margin-top: 1;
    }
    ConfirmQuit #confirm-buttons Button {
        margin-right: 2;
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Quit", id="quit.yes"),
        Binding("n,escape,q", "answer(False)", "Stay", id="quit.no"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(QUESTION, id="confirm-question")
            yield Static(EXPLAIN, id="confirm-explain")
            with Horizontal(id="confirm-buttons"):
                yield Button("Stay (n)", id="stay", variant="primary")
                yield Button("Quit (y)", id="quit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()  # Enter straight after q keeps the session

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")

    def action_answer(self, quit_: bool) -> None:
        self.dismiss(quit_)
