"""The event history: Temporal's event types, one record per event, and plain-words descriptions.

A run's history is append-only. Events fall in three groups the replay driver cares about:
commands the code issued (checked on replay), inputs that wake the code (results, timer fires,
signals, cancel requests) and bookkeeping (workflow task lifecycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Iterable, Sequence

from engines import jsonio
from engines.clock import UTC, human_duration



class EventType(StrEnum):
    """Every event type this engine writes, named and spelled as Temporal's history shows them.

    The values are the exact text stored in `rp_history.event_type`: old databases, the lessons and
    the tests compare against them, so a value never changes.
    """

    WORKFLOW_EXECUTION_STARTED = "WorkflowExecutionStarted"
    WORKFLOW_EXECUTION_SIGNALED = "WorkflowExecutionSignaled"
    WORKFLOW_EXECUTION_CANCEL_REQUESTED = "WorkflowExecutionCancelRequested"
    WORKFLOW_EXECUTION_COMPLETED = "WorkflowExecutionCompleted"
    WORKFLOW_EXECUTION_FAILED = "WorkflowExecutionFailed"
    WORKFLOW_EXECUTION_CANCELED = "WorkflowExecutionCanceled"
    WORKFLOW_EXECUTION_CONTINUED_AS_NEW = "WorkflowExecutionContinuedAsNew"
    WORKFLOW_EXECUTION_TERMINATED = "WorkflowExecutionTerminated"
    WORKFLOW_TASK_SCHEDULED = "WorkflowTaskScheduled"
    WORKFLOW_TASK_STARTED = "WorkflowTaskStarted"
    WORKFLOW_TASK_COMPLETED = "WorkflowTaskCompleted"
    WORKFLOW_TASK_FAILED = "WorkflowTaskFailed"
    WORKFLOW_TASK_TIMED_OUT = "WorkflowTaskTimedOut"
    ACTIVITY_TASK_SCHEDULED = "ActivityTaskScheduled"
    ACTIVITY_TASK_STARTED = "ActivityTaskStarted"
    ACTIVITY_TASK_COMPLETED = "ActivityTaskCompleted"
    ACTIVITY_TASK_FAILED = "ActivityTaskFailed"
    ACTIVITY_TASK_TIMED_OUT = "ActivityTaskTimedOut"
    TIMER_STARTED = "TimerStarted"
    TIMER_FIRED = "TimerFired"
    TIMER_CANCELED = "TimerCanceled"
    MARKER_RECORDED = "MarkerRecorded"
    START_CHILD_WORKFLOW_EXECUTION_INITIATED = "StartChildWorkflowExecutionInitiated"
    CHILD_WORKFLOW_EXECUTION_STARTED = "ChildWorkflowExecutionStarted"
    CHILD_WORKFLOW_EXECUTION_COMPLETED = "ChildWorkflowExecutionCompleted"
    CHILD_WORKFLOW_EXECUTION_FAILED = "ChildWorkflowExecutionFailed"
    CHILD_WORKFLOW_EXECUTION_CANCELED = "ChildWorkflowExecutionCanceled"
    CHILD_WORKFLOW_EXECUTION_TERMINATED = "ChildWorkflowExecutionTerminated"
    UPSERT_WORKFLOW_SEARCH_ATTRIBUTES = "UpsertWorkflowSearchAttributes"


#: Events written from a command of the workflow code; replay checks them one by one.
COMMAND_EVENTS = frozenset({
    EventType.ACTIVITY_TASK_SCHEDULED, EventType.TIMER_STARTED, EventType.TIMER_CANCELED,
    EventType.MARKER_RECORDED, EventType.START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EventType.WORKFLOW_EXECUTION_COMPLETED, EventType.WORKFLOW_EXECUTION_FAILED,
    EventType.WORKFLOW_EXECUTION_CANCELED, EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
})
#: Events the code reacts to; replay hands them back in history order.
INPUT_EVENTS = frozenset({
    EventType.WORKFLOW_EXECUTION_STARTED, EventType.ACTIVITY_TASK_COMPLETED, EventType.ACTIVITY_TASK_FAILED,
    EventType.ACTIVITY_TASK_TIMED_OUT, EventType.TIMER_FIRED, EventType.WORKFLOW_EXECUTION_SIGNALED,
    EventType.WORKFLOW_EXECUTION_CANCEL_REQUESTED, EventType.CHILD_WORKFLOW_EXECUTION_STARTED,
    EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED, EventType.CHILD_WORKFLOW_EXECUTION_FAILED,
    EventType.CHILD_WORKFLOW_EXECUTION_CANCELED, EventType.CHILD_WORKFLOW_EXECUTION_TERMINATED,
})
#: What a parent's history records when its child closes other than by completing.
CHILD_UNSUCCESSFUL_EVENTS = frozenset({
    EventType.CHILD_WORKFLOW_EXECUTION_FAILED, EventType.CHILD_WORKFLOW_EXECUTION_CANCELED,
    EventType.CHILD_WORKFLOW_EXECUTION_TERMINATED,
})


class MarkerName(StrEnum):
    """The markers this engine records itself (a MarkerRecorded event's `marker_name`)."""

    #: a local activity's outcome (Temporal core calls it "core_local_activity")
    LOCAL_ACTIVITY = "LocalActivity"
    #: a version gate taken by `ctx.patched`, as this engine wrote it before it used Temporal's
    #: format (details {"patch_id"}); still read, never written
    VERSION = "Version"
    #: a version gate taken by `ctx.patched`, in Temporal's format: details {"id", "deprecated"}
    #: (temporalio's core writes "core_patch"), followed by the TemporalChangeVersion upsert
    PATCH = "core_patch"


#: stored text -> member, a dict lookup per event so decoding a long history stays cheap
_EVENT_TYPES: dict[str, EventType] = {t.value: t for t in EventType}


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One event: its sequence number in the run, its virtual time, its type and attributes."""

    event_id: int
    ts: float  # virtual time as POSIX seconds (stored that way, so ordering is numeric)
    event_type: EventType
    attributes: dict[str, Any]

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    def to_dict(self) -> dict[str, Any]:
        """The row shape lessons and the app show: id, time, type, attributes."""
        return {"id": self.event_id, "time": self.time.isoformat(), "type": str(self.event_type),
                "attributes": self.attributes}

    def is_local_activity_marker(self) -> bool:
        """A local activity's outcome: the command event of one task and the input of the next."""
        return (self.event_type == EventType.MARKER_RECORDED
                and self.attributes.get("marker_name") == MarkerName.LOCAL_ACTIVITY)

    def describe(self) -> str:
        return describe(self.event_type, self.attributes)


def describe(event_type: str, a: dict[str, Any]) -> str:
    """Plain words for one event, for traces and `replay show`."""
    t = event_type
    if t == EventType.WORKFLOW_EXECUTION_STARTED:
        extra = f", continued from run {a['continued_from_run_id'][:8]}" if a.get("continued_from_run_id") else ""
        parent = f", child of {a['parent_workflow_id']}" if a.get("parent_workflow_id") else ""
        return f"workflow {a.get('workflow_type')} started on queue {a.get('task_queue')}{parent}{extra}"
    if t == EventType.WORKFLOW_TASK_SCHEDULED:
        return "a workflow task waits in the queue for a worker"
    if t == EventType.WORKFLOW_TASK_STARTED:
        return f"worker {a.get('identity', '?')} picked up the workflow task and replays the code"
    if t == EventType.WORKFLOW_TASK_COMPLETED:
        return "the worker recorded what the code decided"
    if t == EventType.WORKFLOW_TASK_FAILED:
        message = a.get("message") or (a.get("failure") or {}).get("message")
        return f"the workflow task failed ({a.get('cause')}): {message}; the run stays open"
    if t == EventType.WORKFLOW_TASK_TIMED_OUT:
        return "the worker holding the workflow task is gone; the task goes back to the queue"
    if t == EventType.ACTIVITY_TASK_SCHEDULED:
        return f"activity {a.get('activity_type')} scheduled (id {a.get('activity_id')})"
    if t == EventType.ACTIVITY_TASK_STARTED:
        return f"attempt {a.get('attempt')} of the activity picked up by {a.get('identity', '?')}"
    if t == EventType.ACTIVITY_TASK_COMPLETED:
        return f"activity {a.get('activity_type', '')} completed; its result is recorded".replace("  ", " ")
    if t == EventType.ACTIVITY_TASK_FAILED:
        f = a.get("failure", {})
        return f"activity {a.get('activity_type', '')} failed for good: {f.get('type')}: {f.get('message')}"
    if t == EventType.ACTIVITY_TASK_TIMED_OUT:
        return f"activity {a.get('activity_type', '')} timed out after attempt {a.get('attempt')}"
    if t == EventType.TIMER_STARTED:
        return f"durable timer {a.get('timer_id')} set for {human_duration(a.get('duration_seconds', 0))} (due {a.get('fire_at')})"
    if t == EventType.TIMER_FIRED:
        return f"timer {a.get('timer_id')} fired"
    if t == EventType.TIMER_CANCELED:
        return f"timer {a.get('timer_id')} canceled"
    if t == EventType.MARKER_RECORDED and a.get("marker_name") == MarkerName.LOCAL_ACTIVITY:
        what = (f"completed; its result {a.get('result')!r} is recorded" if "failure" not in a else
                f"failed ({a['failure'].get('type')}: {a['failure'].get('message')})"
                + (f"; retry after {human_duration(a['backoff_seconds'])}" if a.get("backoff_seconds") is not None else " for good"))
        return f"local activity {a.get('activity_type')} (id {a.get('activity_id')}) attempt {a.get('attempt')} {what}"
    if t == EventType.MARKER_RECORDED and a.get("marker_name") in (MarkerName.PATCH, MarkerName.VERSION):
        d = a.get("details") or {}
        return f"version marker {d.get('id', d.get('patch_id'))!r} recorded: this run takes the patched code path"
    if t == EventType.MARKER_RECORDED:
        return f"marker {a.get('marker_name')} recorded ({a.get('details')})"
    if t == EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return "search attributes set: " + ", ".join(f"{k}={v}" for k, v in (a.get("search_attributes") or {}).items())
    if t == EventType.WORKFLOW_EXECUTION_SIGNALED:
        return f"signal {a.get('signal_name')} received"
    if t == EventType.WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        return "cancellation requested"
    if t == EventType.START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        return f"child workflow {a.get('workflow_id')} ({a.get('workflow_type')}) requested"
    if t == EventType.CHILD_WORKFLOW_EXECUTION_STARTED:
        return f"child workflow {a.get('workflow_id')} started with its own history"
    if t == EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED:
        return f"child workflow {a.get('workflow_id')} completed"
    if t in CHILD_UNSUCCESSFUL_EVENTS:
        f = a.get("failure", {})
        return f"child workflow {a.get('workflow_id')} {t[len('ChildWorkflowExecution'):].lower()}: {f.get('message', '')}"
    if t == EventType.WORKFLOW_EXECUTION_COMPLETED:
        return f"workflow completed with result {a.get('result')!r}"
    if t == EventType.WORKFLOW_EXECUTION_FAILED:
        f = a.get("failure", {})
        return f"workflow failed: {f.get('type')}: {f.get('message')}"
    if t == EventType.WORKFLOW_EXECUTION_CANCELED:
        return "workflow canceled"
    if t == EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return f"continued as new: run {a.get('new_run_id', '')[:8]} starts with a fresh history"
    if t == EventType.WORKFLOW_EXECUTION_TERMINATED:
        return f"workflow terminated: {a.get('reason')}"
    return t


def takeover_event_id(events: list[HistoryEvent]) -> int | None:
    """Where the worker that holds the run now took it over: the first WorkflowTaskStarted of the
    last unbroken stretch of workflow tasks by one worker identity.

    Everything before that event was recorded by an earlier worker (one that crashed, or was
    redeployed) and only *replayed* by the current one; everything from it on the current worker
    recorded live. None when one worker ran the whole history: nothing was inherited.
    """
    task_started = EventType.WORKFLOW_TASK_STARTED
    started = [e for e in events if e.event_type == task_started]
    if not started:
        return None
    last = started[-1].attributes.get("identity")
    first_of_stretch = started[-1]
    for event in reversed(started):
        if event.attributes.get("identity") != last:
            break
        first_of_stretch = event
    return None if first_of_stretch is started[0] else first_of_stretch.event_id


def decode_events(rows: Iterable[Sequence[Any]]) -> list[HistoryEvent]:
    """Stored (event_id, time, type, attributes JSON) rows as events; every call decodes afresh, so
    code that alters a result it was handed can never change what the next replay sees."""
    loads, types = jsonio.loads, _EVENT_TYPES
    return [HistoryEvent(r[0], r[1], types.get(r[2]) or EventType(r[2]), loads(r[3])) for r in rows]
