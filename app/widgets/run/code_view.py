"""The replay column's picture: the workflow's own code with the line it is awaiting highlighted.

What Temporal teaches is that the workflow is plain code whose position is rebuilt from its
event history. So the picture is that code (read from the workload's module, see `source`), a
cursor on the line the code stands at, ✓/✗ on the activities that finished, and, while a durable
timer runs, a countdown that says the wait holds no worker: the timer is a row in the history,
not a sleeping thread. Everything is computed from the history rows up to the shared moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widget import Widget

from app.widgets.run.fit import cropped, join
from app.widgets.run.event_history import CompactRow, HistoryEvent, RowKind, RowState, compact_rows, history_events
from app.widgets.run.source import LineKind, SourceLine, WorkflowSource, workflow_source
from app.widgets.timeline import Scale

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun


class ReplayPhase(StrEnum):
    """Where the workflow code stands at a moment."""

    NOT_STARTED = "not started"
    RUNNING_ACTIVITY = "running an activity"
    WAITING_ON_TIMER = "waiting on a durable timer"
    COMPENSATING = "compensating"
    WAITING_FOR_WORKER = "waiting for a worker"
    CLOSED = "closed"


#: Temporal's workflow execution status words, by the history event that closes the run.
CLOSED_STATUS = {"WorkflowExecutionCompleted": "Completed", "WorkflowExecutionFailed": "Failed",
                 "WorkflowExecutionCanceled": "Canceled", "WorkflowExecutionTerminated": "Terminated",
                 "WorkflowExecutionTimedOut": "TimedOut", "WorkflowExecutionContinuedAsNew": "ContinuedAsNew"}

#: The course's colours: workflow code blue, activities red; compensation (undo) magenta.
LINE_STYLE = {LineKind.CODE: "#5fafff", LineKind.HEADER: "#5f87af", LineKind.ACTIVITY: "#ff5f5f",
              LineKind.COMPENSATION: "#ff87d7", LineKind.WAIT: "bold #5fafff", LineKind.SIGNAL: "#5fafff"}

#: The same colours, darker, for a light theme (the projector's black on white).
LINE_STYLE_LIGHT = {LineKind.CODE: "#0033CC", LineKind.HEADER: "#3A5A8C", LineKind.ACTIVITY: "#B00020",
                    LineKind.COMPENSATION: "#A0006E", LineKind.WAIT: "bold #0033CC", LineKind.SIGNAL: "#0033CC"}


@dataclass(frozen=True)
class ReplayView:
    """What the replay picture shows at one moment."""

    day: float = field(compare=False)             # the moment (not part of what is drawn)
    status: str = "—"                             # Temporal's words: Running, Completed, Failed, ...
    phase: ReplayPhase = ReplayPhase.NOT_STARTED
    cursor_line: int | None = None                # file line number the code stands at
    cursor_text: str = ""
    finished: tuple[str, ...] = ()                # activities completed so far, in order
    failed: tuple[str, ...] = ()
    compensated: tuple[str, ...] = ()             # compensation activities completed so far
    running: str | None = None                    # the activity a worker is running now
    timer_left_days: float | None = None          # a durable timer's countdown, while it runs
    timer_due_day: float | None = None
    holds_worker: bool = False                    # a worker is busy on this run right now
    signals: tuple[tuple[str, float], ...] = ()   # (signal name, day) received so far
    rows: tuple[CompactRow, ...] = field(default_factory=tuple)


def replay_view_at(source: WorkflowSource | None, events: list[HistoryEvent], now: float) -> ReplayView:
    """The replay picture at virtual day `now`, from the history events up to it."""
    rows = compact_rows(events, now)
    seen = [e for e in events if e.day <= now + 1e-9]
    if not seen:
        return ReplayView(now, "—", ReplayPhase.NOT_STARTED, rows=tuple(rows))
    status = next((CLOSED_STATUS[e.type] for e in reversed(seen) if e.type in CLOSED_STATUS), "Running")
    activities = [r for r in rows if r.kind == RowKind.ACTIVITY]
    compensations = _compensation_types(source)
    finished = tuple(r.name for r in activities if r.state == RowState.COMPLETED)
    failed = tuple(r.name for r in activities if r.state in (RowState.FAILED, RowState.TIMED_OUT))
    compensated = tuple(n for n in finished if n in compensations)
    open_acts = [r for r in activities if r.state in (RowState.SCHEDULED, RowState.STARTED)]
    running = next((r.name for r in open_acts if r.state == RowState.STARTED), None)
    timers = [r for r in rows if r.kind == RowKind.TIMER and r.state == RowState.STARTED]
    signals = tuple((r.name, r.day) for r in rows if r.kind == RowKind.SIGNAL)
    timer_due = timer_left = None
    if timers:
        start = next(e for e in seen if e.id == timers[-1].first_id)
        timer_due = start.day + float(start.attributes.get("duration_seconds") or 0) / 86400
        timer_left = max(0.0, timer_due - now)
    # the phase: closed > an activity open > a timer open > compensating > waiting for a worker
    last_act = activities[-1] if activities else None
    if status != "Running":
        phase = ReplayPhase.CLOSED
    elif open_acts:
        phase = ReplayPhase.COMPENSATING if open_acts[-1].name in compensations else ReplayPhase.RUNNING_ACTIVITY
    elif timers:
        phase = ReplayPhase.WAITING_ON_TIMER
    else:
        phase = ReplayPhase.WAITING_FOR_WORKER
    if phase == ReplayPhase.CLOSED and compensated and last_act is not None and last_act.name in compensations:
        phase = ReplayPhase.CLOSED  # closed after its compensations: the cursor stays on compensate()
    line = _cursor(source, rows, signals)
    return ReplayView(now, status, phase, line.number if line else None, line.text.strip() if line else "", finished,
                      failed, compensated, running, timer_left, timer_due, running is not None, signals, tuple(rows))


def _compensation_types(source: WorkflowSource | None) -> set[str]:
    """Activities the code names only to register them as compensations (saga.add)."""
    if source is None:
        return set()
    named = {line.activity for line in source.lines if line.activity}
    return {a for a in named if a and all(l.kind == LineKind.COMPENSATION for l in source.lines_naming(a))}


def _cursor(source: WorkflowSource | None, rows: list[CompactRow], signals: tuple) -> SourceLine | None:
    """The line of the last command the code gave (an activity or a timer), walked in order."""
    if source is None:
        return None
    compensations = _compensation_types(source)
    lines = list(source.lines)
    at = 0  # index into lines: commands are matched in order, so a loop's second call moves on
    cursor: SourceLine | None = None
    for row in rows:
        candidates: list[int] = []
        if row.kind == RowKind.ACTIVITY and row.name in compensations:
            waits = [i for i, l in enumerate(lines) if l.kind == LineKind.WAIT]
            comps = [i for i, l in enumerate(lines) if l.kind == LineKind.COMPENSATION and "compensate(" in l.text]
            after_wait = [i for i in comps if waits and i > waits[-1]] if signals else []
            candidates = after_wait or comps
        elif row.kind == RowKind.ACTIVITY:
            candidates = [i for i, l in enumerate(lines) if l.activity == row.name and l.kind == LineKind.ACTIVITY]
        elif row.kind == RowKind.TIMER:
            candidates = [i for i, l in enumerate(lines) if l.kind == LineKind.WAIT]
        else:
            continue
        if not candidates:
            continue
        later = [i for i in candidates if i >= at]
        index = later[0] if later else candidates[0]
        at, cursor = index, lines[index]
    if cursor is None:
        cursor = next((l for l in lines if l.kind not in (LineKind.HEADER,) and l.text.strip()), None)
    return cursor


class CodeView(Widget):
    """The workflow source, a window of it around the cursor line, the course's colours."""

    DEFAULT_CSS = "CodeView { height: 1fr; min-height: 3; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source: WorkflowSource | None = None
        self.events: list[HistoryEvent] = []
        self.view: ReplayView = ReplayView(0.0, "—", ReplayPhase.NOT_STARTED)
        self.scale = Scale.fit(30.0)
        self.note = ""
        self.compact = False

    def show(self, run: WorkloadRun, scale: Scale) -> None:
        """Attributes down: the finished replay run whose history is played."""
        self.scale = scale
        self.events = history_events(run.replay.history)
        start = next((e for e in self.events if e.type == "WorkflowExecutionStarted"), None)
        workflow_type = str(start.attributes.get("workflow_type")) if start else ""
        module = _replay_module(run)
        self.source = workflow_source(module, workflow_type) if module and workflow_type else None
        self.note = "" if self.source else f"(no source found for workflow type {workflow_type!r})"

    def at(self, now: float) -> ReplayView:
        view = replay_view_at(self.source, self.events, now)
        if view != self.view:
            self.view = view
            self.refresh()
        return view

    def status_line(self) -> Text:
        """One line under the code: the countdown holding no worker, or what runs now."""
        v = self.view
        if v.phase == ReplayPhase.WAITING_ON_TIMER and v.timer_left_days is not None:
            what, why = ("◷ timer: ", "  holds no worker") if self.compact else \
                ("◷ durable timer: ", "  holds no worker: just a history row")
            return Text.assemble((what, "bold #5fafff"), (f"{self.scale.span(v.timer_left_days)} left", "bold"),
                                 "\n", (why, "bold green"))
        if v.phase in (ReplayPhase.RUNNING_ACTIVITY, ReplayPhase.COMPENSATING):
            what = v.running or "an activity"
            return Text.assemble(("▶ ", "bold #ff5f5f"), (what, "bold"), (f" · {v.phase.value}", "#ff5f5f"))
        if v.phase == ReplayPhase.WAITING_FOR_WORKER:
            return Text("… the next workflow task waits in the queue for a worker", style="yellow")
        if v.phase == ReplayPhase.CLOSED:
            comp = f" after compensating {', '.join(v.compensated)}" if v.compensated else ""
            return Text(f"workflow {v.status}{comp}", style="bold green" if v.status == "Completed" else "bold red")
        return Text("workflow not started", style="dim")

    def render(self) -> Text:
        height = max(1, self.content_region.height)
        width = max(4, self.content_region.width)
        out = [cropped(line, width) for line in self.status_line().split("\n")]
        if self.source is None:
            return join([*out, Text(self.note, style="italic")])
        lines = list(self.source.lines)
        room = max(0, height - len(out))
        cursor = next((i for i, l in enumerate(lines) if l.number == self.view.cursor_line), 0)
        first = max(0, min(cursor - room // 3, len(lines) - room))
        done, failed = set(self.view.finished), set(self.view.failed)
        palette = LINE_STYLE if self.app.current_theme.dark else LINE_STYLE_LIGHT
        for line in lines[first:first + room]:
            mark, mark_style = "  ", ""
            if line.activity in failed and line.kind == LineKind.ACTIVITY:
                mark, mark_style = "✗ ", "bold red"
            elif line.activity in done:
                mark, mark_style = "✓ ", "bold green"
            style = palette.get(line.kind, "")
            if line.number == self.view.cursor_line and self.view.phase != ReplayPhase.NOT_STARTED:
                mark, mark_style = ("▶ ", "bold yellow") if self.view.phase != ReplayPhase.CLOSED else ("■ ", "bold")
                style = f"{style} reverse"
            shown = line.text
            if self.compact:  # two cells an indent level instead of four: more of each line fits
                body = shown.lstrip(" ")
                shown = " " * ((len(shown) - len(body)) // 2) + body
            out.append(cropped(Text.assemble((mark, mark_style), (shown, style)), width))
        return join(out)


def _replay_module(run: WorkloadRun) -> str | None:
    """The module the run's workload version lives in (its replay.py), from the registry."""
    from workloads.registry import workload_version

    try:
        fn = getattr(workload_version(run.workload, "replay"), "entry", None)
    except Exception:  # a workload with no replay version: no code to show
        return None
    module = getattr(fn, "__module__", None)
    return module if isinstance(module, str) else None
