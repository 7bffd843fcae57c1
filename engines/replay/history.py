"""The event history: Temporal's event types, one record per event, and plain-words descriptions.

A run's history is append-only. Events fall in three groups the replay driver cares about:
commands the code issued (checked on replay), inputs that wake the code (results, timer fires,
signals, cancel requests) and bookkeeping (workflow task lifecycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from engines.clock import human_duration

UTC = timezone.utc

WORKFLOW_EXECUTION_STARTED = "WorkflowExecutionStarted"

#: Events written from a command of the workflow code; replay checks them one by one.
COMMAND_EVENTS = frozenset({
    "ActivityTaskScheduled", "TimerStarted", "TimerCanceled", "MarkerRecorded",
    "StartChildWorkflowExecutionInitiated", "WorkflowExecutionCompleted", "WorkflowExecutionFailed",
    "WorkflowExecutionCanceled", "WorkflowExecutionContinuedAsNew",
})
#: Events the code reacts to; replay hands them back in history order.
INPUT_EVENTS = frozenset({
    WORKFLOW_EXECUTION_STARTED, "ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut",
    "TimerFired", "WorkflowExecutionSignaled", "WorkflowExecutionCancelRequested",
    "ChildWorkflowExecutionStarted", "ChildWorkflowExecutionCompleted", "ChildWorkflowExecutionFailed",
    "ChildWorkflowExecutionCanceled", "ChildWorkflowExecutionTerminated",
})
CLOSE_EVENTS = frozenset({
    "WorkflowExecutionCompleted", "WorkflowExecutionFailed", "WorkflowExecutionCanceled",
    "WorkflowExecutionContinuedAsNew", "WorkflowExecutionTerminated",
})
ALL_EVENTS = COMMAND_EVENTS | INPUT_EVENTS | CLOSE_EVENTS | frozenset({
    "WorkflowTaskScheduled", "WorkflowTaskStarted", "WorkflowTaskCompleted", "WorkflowTaskFailed",
    "WorkflowTaskTimedOut", "ActivityTaskStarted",
})


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One event: its sequence number in the run, its virtual time, its type and attributes."""

    event_id: int
    ts: float  # virtual time as POSIX seconds (stored that way, so ordering is numeric)
    event_type: str
    attributes: dict[str, Any]

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    def to_dict(self) -> dict[str, Any]:
        """The row shape lessons and the app show: id, time, type, attributes."""
        return {"id": self.event_id, "time": self.time.isoformat(), "type": self.event_type,
                "attributes": self.attributes}

    def describe(self) -> str:
        return describe(self.event_type, self.attributes)


def describe(event_type: str, a: dict[str, Any]) -> str:
    """Plain words for one event, for traces and `replay show`."""
    t = event_type
    if t == WORKFLOW_EXECUTION_STARTED:
        extra = f", continued from run {a['continued_from_run_id'][:8]}" if a.get("continued_from_run_id") else ""
        parent = f", child of {a['parent_workflow_id']}" if a.get("parent_workflow_id") else ""
        return f"workflow {a.get('workflow_type')} started on queue {a.get('task_queue')}{parent}{extra}"
    if t == "WorkflowTaskScheduled":
        return "a workflow task waits in the queue for a worker"
    if t == "WorkflowTaskStarted":
        return f"worker {a.get('identity', '?')} picked up the workflow task and replays the code"
    if t == "WorkflowTaskCompleted":
        return "the worker recorded what the code decided"
    if t == "WorkflowTaskFailed":
        return f"the workflow task failed ({a.get('cause')}): {a.get('message')}; the run stays open"
    if t == "WorkflowTaskTimedOut":
        return "the worker holding the workflow task is gone; the task goes back to the queue"
    if t == "ActivityTaskScheduled":
        return f"activity {a.get('activity_type')} scheduled (id {a.get('activity_id')})"
    if t == "ActivityTaskStarted":
        return f"attempt {a.get('attempt')} of the activity picked up by {a.get('identity', '?')}"
    if t == "ActivityTaskCompleted":
        return f"activity {a.get('activity_type', '')} completed; its result is recorded".replace("  ", " ")
    if t == "ActivityTaskFailed":
        f = a.get("failure", {})
        return f"activity {a.get('activity_type', '')} failed for good: {f.get('type')}: {f.get('message')}"
    if t == "ActivityTaskTimedOut":
        return f"activity {a.get('activity_type', '')} timed out after attempt {a.get('attempt')}"
    if t == "TimerStarted":
        return f"durable timer {a.get('timer_id')} set for {human_duration(a.get('duration_seconds', 0))} (due {a.get('fire_at')})"
    if t == "TimerFired":
        return f"timer {a.get('timer_id')} fired"
    if t == "TimerCanceled":
        return f"timer {a.get('timer_id')} canceled"
    if t == "MarkerRecorded" and a.get("marker_name") == "LocalActivity":
        what = (f"completed; its result {a.get('result')!r} is recorded" if "failure" not in a else
                f"failed ({a['failure'].get('type')}: {a['failure'].get('message')})"
                + (f"; retry after {human_duration(a['backoff_seconds'])}" if a.get("backoff_seconds") is not None else " for good"))
        return f"local activity {a.get('activity_type')} (id {a.get('activity_id')}) attempt {a.get('attempt')} {what}"
    if t == "MarkerRecorded":
        return f"marker {a.get('marker_name')} recorded ({a.get('details')})"
    if t == "WorkflowExecutionSignaled":
        return f"signal {a.get('signal_name')} received"
    if t == "WorkflowExecutionCancelRequested":
        return "cancellation requested"
    if t == "StartChildWorkflowExecutionInitiated":
        return f"child workflow {a.get('workflow_id')} ({a.get('workflow_type')}) requested"
    if t == "ChildWorkflowExecutionStarted":
        return f"child workflow {a.get('workflow_id')} started with its own history"
    if t == "ChildWorkflowExecutionCompleted":
        return f"child workflow {a.get('workflow_id')} completed"
    if t in ("ChildWorkflowExecutionFailed", "ChildWorkflowExecutionCanceled", "ChildWorkflowExecutionTerminated"):
        f = a.get("failure", {})
        return f"child workflow {a.get('workflow_id')} {t[len('ChildWorkflowExecution'):].lower()}: {f.get('message', '')}"
    if t == "WorkflowExecutionCompleted":
        return f"workflow completed with result {a.get('result')!r}"
    if t == "WorkflowExecutionFailed":
        f = a.get("failure", {})
        return f"workflow failed: {f.get('type')}: {f.get('message')}"
    if t == "WorkflowExecutionCanceled":
        return "workflow canceled"
    if t == "WorkflowExecutionContinuedAsNew":
        return f"continued as new: run {a.get('new_run_id', '')[:8]} starts with a fresh history"
    if t == "WorkflowExecutionTerminated":
        return f"workflow terminated: {a.get('reason')}"
    return t


def takeover_event_id(events: list[HistoryEvent]) -> int | None:
    """Where the worker that holds the run now took it over: the first WorkflowTaskStarted of the
    last unbroken stretch of workflow tasks by one worker identity.

    Everything before that event was recorded by an earlier worker (one that crashed, or was
    redeployed) and only *replayed* by the current one; everything from it on the current worker
    recorded live. None when one worker ran the whole history: nothing was inherited.
    """
    started = [e for e in events if e.event_type == "WorkflowTaskStarted"]
    if not started:
        return None
    last = started[-1].attributes.get("identity")
    first_of_stretch = started[-1]
    for event in reversed(started):
        if event.attributes.get("identity") != last:
            break
        first_of_stretch = event
    return None if first_of_stretch is started[0] else first_of_stretch.event_id

