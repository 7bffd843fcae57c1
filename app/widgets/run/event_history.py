"""The replay run's event history in Temporal Web UI's compact view: one row per activity, timer,
signal and the workflow itself, coloured by how it ended.

Temporal's UI folds an activity's Scheduled/Started/Completed events into one row, a timer's
Started/Fired (or Canceled) into another, and shows a signal as its own event; the workflow task
events (bookkeeping of the worker) are left out. This file folds the engine's own history rows
the same way, up to a virtual moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from rich.text import Text
from textual.widget import Widget

from app.widgets.run.fit import cropped, join
from app.widgets.timeline import Scale, day_of


class RowKind(StrEnum):
    WORKFLOW = "workflow"
    ACTIVITY = "activity"
    TIMER = "timer"
    SIGNAL = "signal"
    CHILD = "child"


class RowState(StrEnum):
    """The compact view's status words (Temporal's event-group states)."""

    SCHEDULED = "Scheduled"
    STARTED = "Started"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CANCELED = "Canceled"
    FIRED = "Fired"
    SIGNALED = "Signaled"
    TERMINATED = "Terminated"
    CONTINUED_AS_NEW = "ContinuedAsNew"


#: Colour and symbol by state (outcome colour AND a symbol: readable without colour).
ROW_LOOK: dict[RowState, tuple[str, str]] = {
    RowState.SCHEDULED: ("yellow", "…"), RowState.STARTED: ("yellow", "▶"), RowState.RUNNING: ("bold blue", "▶"),
    RowState.COMPLETED: ("green", "✓"), RowState.FAILED: ("bold red", "✗"), RowState.TIMED_OUT: ("bold red", "✗"),
    RowState.CANCELED: ("dim", "⊘"), RowState.FIRED: ("green", "◷"), RowState.SIGNALED: ("bold magenta", "✉"),
    RowState.TERMINATED: ("bold red", "✗"), RowState.CONTINUED_AS_NEW: ("cyan", "↻"),
}

_CLOSE = {"WorkflowExecutionCompleted": RowState.COMPLETED, "WorkflowExecutionFailed": RowState.FAILED,
          "WorkflowExecutionCanceled": RowState.CANCELED, "WorkflowExecutionTerminated": RowState.TERMINATED,
          "WorkflowExecutionTimedOut": RowState.TIMED_OUT,
          "WorkflowExecutionContinuedAsNew": RowState.CONTINUED_AS_NEW}
_ACTIVITY = {"ActivityTaskScheduled": RowState.SCHEDULED, "ActivityTaskStarted": RowState.STARTED,
             "ActivityTaskCompleted": RowState.COMPLETED, "ActivityTaskFailed": RowState.FAILED,
             "ActivityTaskTimedOut": RowState.TIMED_OUT, "ActivityTaskCanceled": RowState.CANCELED}
_CHILD = {"StartChildWorkflowExecutionInitiated": RowState.SCHEDULED, "ChildWorkflowExecutionStarted": RowState.STARTED,
          "ChildWorkflowExecutionCompleted": RowState.COMPLETED, "ChildWorkflowExecutionFailed": RowState.FAILED,
          "ChildWorkflowExecutionCanceled": RowState.CANCELED, "ChildWorkflowExecutionTerminated": RowState.TERMINATED}


@dataclass(frozen=True)
class HistoryEvent:
    """One history row with its virtual day (parsed once per run, not once per frame)."""

    id: int
    day: float
    type: str
    attributes: dict[str, Any]


def history_events(rows: list[dict[str, Any]]) -> list[HistoryEvent]:
    out = []
    for row in rows:
        time = row.get("time")
        when = time if isinstance(time, datetime) else datetime.fromisoformat(str(time))
        out.append(HistoryEvent(int(row["id"]), day_of(when), str(row["type"]), dict(row.get("attributes") or {})))
    return out


@dataclass(frozen=True)
class CompactRow:
    """One row of the compact view: what, how it stands, since which day, on which attempt."""

    kind: RowKind
    name: str
    state: RowState
    day: float
    first_id: int
    attempt: int = 1
    detail: str = ""


def compact_rows(events: list[HistoryEvent], now: float) -> list[CompactRow]:
    """Fold the events up to virtual day `now` into compact-view rows, in the order they began."""
    rows: dict[tuple[str, int], CompactRow] = {}
    activity_of: dict[int, int] = {}  # any activity event id -> its scheduled event id
    timer_of: dict[str, int] = {}
    for e in events:
        if e.day > now + 1e-9:
            break
        a = e.attributes
        if e.type == "WorkflowExecutionStarted":
            rows[("wf", e.id)] = CompactRow(RowKind.WORKFLOW, str(a.get("workflow_type", "workflow")), RowState.RUNNING, e.day, e.id)
        elif e.type in _CLOSE:
            for key, row in rows.items():
                if row.kind == RowKind.WORKFLOW:
                    rows[key] = CompactRow(row.kind, row.name, _CLOSE[e.type], e.day, row.first_id)
        elif e.type in _ACTIVITY:
            sched = e.id if e.type == "ActivityTaskScheduled" else int(a.get("scheduled_event_id", 0))
            activity_of[e.id] = sched
            if e.type == "ActivityTaskScheduled":
                rows[("act", sched)] = CompactRow(RowKind.ACTIVITY, str(a.get("activity_type", "activity")),
                                                  RowState.SCHEDULED, e.day, e.id)
            elif ("act", sched) in rows:
                row = rows[("act", sched)]
                attempt = int(a.get("attempt", row.attempt))
                failure = a.get("failure") or {}
                detail = str(failure.get("message", "")) if isinstance(failure, dict) else str(failure)
                rows[("act", sched)] = CompactRow(row.kind, row.name, _ACTIVITY[e.type], e.day, row.first_id,
                                                  attempt, detail or row.detail)
        elif e.type == "TimerStarted":
            timer_of[str(a.get("timer_id"))] = e.id
            seconds = float(a.get("duration_seconds") or 0)
            rows[("timer", e.id)] = CompactRow(RowKind.TIMER, f"timer {a.get('timer_id')}", RowState.STARTED, e.day, e.id,
                                               detail=_span(seconds))
        elif e.type in ("TimerFired", "TimerCanceled"):
            start = timer_of.get(str(a.get("timer_id")))
            if start is not None and ("timer", start) in rows:
                row = rows[("timer", start)]
                state = RowState.FIRED if e.type == "TimerFired" else RowState.CANCELED
                rows[("timer", start)] = CompactRow(row.kind, row.name, state, e.day, row.first_id, detail=row.detail)
        elif e.type == "WorkflowExecutionSignaled":
            rows[("signal", e.id)] = CompactRow(RowKind.SIGNAL, str(a.get("signal_name", "signal")), RowState.SIGNALED,
                                                e.day, e.id)
        elif e.type in _CHILD:
            key = ("child", e.id if e.type == "StartChildWorkflowExecutionInitiated" else int(a.get("initiated_event_id", 0)))
            name = str(a.get("workflow_id") or a.get("workflow_type") or "child")
            prev = rows.get(key)
            rows[key] = CompactRow(RowKind.CHILD, prev.name if prev else name, _CHILD[e.type], e.day,
                                   prev.first_id if prev else e.id)
    return sorted(rows.values(), key=lambda r: r.first_id)


def _span(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds:g} s"


class EventHistory(Widget):
    """The compact event history at the current moment (newest rows kept in view)."""

    DEFAULT_CSS = "EventHistory { height: auto; max-height: 12; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[CompactRow] = []
        self.scale = Scale.fit(30.0)

    def show_rows(self, rows: list[CompactRow]) -> None:
        if rows != self.rows:
            self.rows = rows
            self.refresh(layout=True)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return max(1, len(self.rows))

    def render(self) -> Text:
        height = max(1, self.content_region.height or len(self.rows))
        width = max(4, self.content_region.width)
        lines = []
        for row in self.rows[-height:]:
            style, symbol = ROW_LOOK[row.state]
            label = f"{row.name}" + (f" ×{row.attempt}" if row.attempt > 1 else "")
            if row.detail and row.kind == RowKind.TIMER:
                label += f" ({row.detail})"
            line = Text.assemble((f"{symbol} ", style),
                                 (label, "bold" if row.kind in (RowKind.SIGNAL, RowKind.WORKFLOW) else ""),
                                 (f" {row.state.value}", style), (f" {self.scale.label(row.day)}", "dim"))
            lines.append(cropped(line, width))
        return join(lines)
