"""One engine's column of the run view: its own model's picture, and the why line under it.

The column is handed a finished run (`show`) and the shared moment (`at`); it computes nothing
about engines itself: each picture reads the engine's own records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from app.widgets.run.code_view import CodeView
from app.widgets.run.dag_grid import DagGrid
from app.widgets.run.event_history import EventHistory
from app.widgets.run.state_graph import StateGraph
from app.widgets.run.why_line import WhyLine
from app.widgets.timeline import Scale, day_of

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun

COLUMN_TITLES = {"replay": "replay (Temporal)", "dag": "DAG (Airflow)", "statemachine": "state machine (Step Functions)"}


class EngineColumn(Vertical):
    """The picture of one engine's run at the shared moment, with its why line."""

    def __init__(self, engine: str, **kwargs: Any) -> None:
        super().__init__(id=f"col-{engine}", classes="engine-column", **kwargs)
        self.engine = engine
        self.run: WorkloadRun | None = None
        self.last_day = 0.0
        self.message = ""

    def compose(self) -> ComposeResult:
        yield Static("", classes="column-message")
        if self.engine == "replay":
            yield CodeView(classes="picture")
            yield EventHistory(classes="history")
        elif self.engine == "dag":
            yield DagGrid(classes="picture")
        else:
            yield StateGraph(classes="picture")
        yield WhyLine(classes="why")

    def on_mount(self) -> None:
        self.border_title = COLUMN_TITLES.get(self.engine, self.engine)

    @property
    def picture(self) -> CodeView | DagGrid | StateGraph:
        return self.query_one(".picture")  # type: ignore[return-value]

    def show_message(self, message: str) -> None:
        """A note instead of the picture (the engines are running, or one failed)."""
        self.message = message
        self.run = None
        self.query_one(".column-message", Static).update(Text(message, style="italic"))
        self.set_class(True, "-message")

    def show_run(self, run: WorkloadRun, scale: Scale) -> None:
        """Attributes down: the finished run this column draws."""
        self.run = run
        self.message = ""
        self.set_class(False, "-message")
        self.query_one(".column-message", Static).update("")
        self.last_day = max((day_of(e.time) for e in run.trace), default=0.0)
        self.picture.show(run, scale)
        for history in self.query(EventHistory):
            history.scale = scale
        self.query_one(WhyLine).show(run, scale)

    def set_compact(self, compact: bool) -> None:
        """The 80x24 layout: the same pictures with fewer lines each."""
        self.query_one(WhyLine).set_compact(compact)
        picture: Any = self.picture
        if getattr(picture, "compact", compact) != compact:
            picture.compact = compact
            picture.refresh()

    def at(self, now: float) -> None:
        """Draw the run at virtual day `now` (the outcome once the run is over)."""
        if self.run is None:
            return
        view: Any = self.picture.at(now)
        for history in self.query(EventHistory):
            history.show_rows(list(view.rows))
        self.query_one(WhyLine).at_end(now >= self.last_day - 1e-9)
