"""The Textual application."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

WELCOME = """\
[b]Workflow Canvas[/b]

Three real mini-engines — replay (Temporal style), dag (Airflow style) and statemachine
(Step Functions style) — run the same ORDER #1001 on one virtual clock.
"""


class WorkflowCanvasApp(App):
    TITLE = "Workflow Canvas"
    SUB_TITLE = "ORDER #1001 on three engines"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(WELCOME, id="welcome")
        yield Footer()
