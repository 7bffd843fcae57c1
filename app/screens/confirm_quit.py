"""Ask before ending a served session: in a browser, `q` would otherwise close the app at once.

In a terminal, quitting is what `q` means and the shell is still there; in a classroom browser tab
the app is gone and a reload starts over, so one stray key in front of a projector should not
end the demo. Textual-serve marks its driver `is_web`, which is how the app knows.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmQuit(ModalScreen[bool]):
    """y / Enter ends the session; n / Escape goes back to where you were."""

    DEFAULT_CSS = """
    ConfirmQuit {
        align: center middle;
    }
    ConfirmQuit > Vertical {
        width: auto;
        max-width: 60;
        height: auto;
        padding: 1 2;
        border: thick $warning;
        background: $surface;
    }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", "End the session", id="quit.yes"),
        Binding("n,escape,q", "answer(False)", "Stay", id="quit.no"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("End this session? The app in this browser tab stops.\n\n"
                         "y  end it      n  stay", id="confirm-quit-text")

    def action_answer(self, end: bool) -> None:
        self.dismiss(end)
