"""The run view's parts: the shared day axis and one column per engine.

A column shows the trace events up to the current virtual moment, a worker-slot meter and, once
its run is over, the outcome in plain words. It renders a WorkloadRun it is given; it computes
nothing about engines.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from engines.trace import TraceEvent
    from workloads.runs import WorkloadRun

DAY = 86400.0
EPOCH = datetime.fromisoformat("2026-01-01T00:00:00+00:00")  # engines.clock.EPOCH: day 0 of every run
DETAIL_CHARS = 90  # a detail longer than this (a JSON payload) is cut: the inspector has it all
SEVERITY_STYLE = {"info": "", "warning": "bold yellow", "error": "bold red"}
COLUMN_TITLES = {"replay": "replay (Temporal)", "dag": "DAG (Airflow)", "statemachine": "state machine (ASL)"}


def day_of(time: datetime) -> float:
    """Virtual day of a trace time (day 0 = EPOCH)."""
    return (time - EPOCH).total_seconds() / DAY


def severity_name(event: TraceEvent) -> str:
    sev = event.severity
    return getattr(sev, "value", str(sev))


class TimeAxis(Widget):
    """day 0 ━━━━●──── 30: where the playback is on the one virtual timeline."""

    DEFAULT_CSS = "TimeAxis { height: 1; }"
    now: reactive[float] = reactive(0.0)
    end: reactive[float] = reactive(30.0)
    playing: reactive[bool] = reactive(False)
    speed: reactive[float] = reactive(2.0)
    marks: reactive[tuple[float, ...]] = reactive(tuple)

    def render(self) -> Text:
        state = "▶" if self.playing else "⏸"
        head = Text.assemble((f" {state} day {self.now:5.2f} ", "bold"), (f"×{self.speed:g} ", "dim"), "day 0 ")
        tail = Text(f" {self.end:g}")
        width = max(10, self.size.width - len(head) - len(tail))
        filled = int(round(width * min(1.0, self.now / self.end))) if self.end else 0
        bar = Text("━" * filled, style="bold cyan")
        bar.append("─" * (width - filled), style="dim")
        for mark in self.marks:  # the moment a user action was sent
            pos = min(width - 1, max(0, int(round(width * mark / self.end))))
            bar.stylize("bold reverse red", pos, pos + 1)
        return Text.assemble(head, bar, tail)


class EngineColumn(Vertical):
    """One engine's trace, played up to `now`, with a worker-slot meter and its outcome."""

    def __init__(self, engine: str) -> None:
        super().__init__(id=f"col-{engine}", classes="engine-column")
        self.engine = engine
        self.run: WorkloadRun | None = None
        self.outcome_words = ""
        self._shown = -1

    def compose(self):
        yield Static("", classes="meter")
        # Not focusable: the run screen's keys (→ step, space play) must never scroll a column.
        with VerticalScroll(classes="events", can_focus=False):
            yield Static("", classes="event-lines")
        with VerticalScroll(classes="outcome-box", can_focus=False):
            yield Static("", classes="outcome")

    def on_mount(self) -> None:
        self.border_title = COLUMN_TITLES.get(self.engine, self.engine)

    def show_run(self, run: WorkloadRun, outcome_words: str) -> None:
        """Attributes down: the run to play and its outcome, already in plain words."""
        self.run = run
        self.outcome_words = outcome_words
        self._shown = -1

    def last_day(self) -> float:
        if self.run is None or not self.run.trace:
            return 0.0
        return day_of(self.run.trace[-1].time)

    def show_message(self, message: str) -> None:
        self.run = None
        self.query_one(".event-lines", Static).update(Text(message, style="italic"))
        self.query_one(".outcome", Static).update("")
        self.query_one(".meter", Static).update("")

    def play_to(self, now: float, end: float) -> None:
        """Show every event up to virtual day `now`; the outcome once the run is over."""
        if self.run is None:
            return
        visible = [e for e in self.run.trace if day_of(e.time) <= now + 1e-9]
        self.query_one(".meter", Static).update(self._meter(now, end))
        finished = now >= self.last_day() - 1e-9
        outcome = self.query_one(".outcome", Static)
        if finished:
            outcome.update(self._outcome_text())
            outcome.add_class("-done")
        else:
            outcome.update(Text(f"running… ({len(visible)}/{len(self.run.trace)} events)", style="dim"))
            outcome.remove_class("-done")
        if len(visible) == self._shown:
            return
        self._shown = len(visible)
        self.query_one(".event-lines", Static).update(self._events_text(visible))
        self.query_one(".events", VerticalScroll).scroll_end(animate=False)

    def _events_text(self, events: list[TraceEvent]) -> Text:
        text = Text()
        for event in events:
            style = SEVERITY_STYLE.get(severity_name(event), "")
            text.append(f"d{day_of(event.time):5.2f} ", style="bold")
            text.append(event.kind, style=style or "cyan")
            if event.subject:
                text.append(f" {event.subject}")
            text.append("\n")
            if event.detail:
                detail = event.detail if len(event.detail) <= DETAIL_CHARS else event.detail[: DETAIL_CHARS - 1] + "…"
                text.append(f"  {detail}\n", style=style or "dim")
        return text.rstrip() or text

    def _meter(self, now: float, end: float) -> Text:
        """Worker-slot time held so far, against the axis (the DAG's poke sensor fills it)."""
        held = slot_days_held(self.run, now)
        width = max(4, self.content_region.width - 16)
        filled = int(round(width * min(1.0, held / end))) if end else 0
        style = "bold red" if held >= 1 else "bold green"
        return Text.assemble("slot ", ("█" * filled, style), ("░" * (width - filled), "dim"), f" {held:4.1f} d held")

    def _outcome_text(self) -> Text:
        outcome = self.run.outcome
        text = Text.assemble(("■ ", "bold"), (self.outcome_words, "bold"))
        for problem in outcome.problems:
            text.append(f"\n⚠ {problem}", style="bold red")
        return text


def slot_days_held(run: WorkloadRun, now: float) -> float:
    """Days of worker slot held up to virtual day `now`, read from the run's task-instance grid
    (each try's start and the slot-seconds it held). A run with no grid (replay, state machine)
    holds no slot while it waits: 0."""
    if run is None:
        return 0.0
    held = 0.0
    for row in run.dag.grid if run.engine == "dag" else ():
        start, seconds = row.get("start"), float(row.get("slot_seconds") or 0.0)
        if start is None or seconds <= 0:
            continue
        begun = day_of(start if isinstance(start, datetime) else datetime.fromisoformat(str(start)))
        held += min(seconds / DAY, max(0.0, now - begun))
    return held
