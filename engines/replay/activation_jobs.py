"""Activation jobs: what each input event of a history does to the workflow code.

Temporal's core hands the SDK an activation made of jobs (StartWorkflow, ResolveActivity,
FireTimer, SignalWorkflow, CancelWorkflow, ResolveChildWorkflowExecution…), one per input event
the workflow task saw. Here each input event type has one handler that resolves the future the
code waits on, delivers the signal, or throws the cancellation in; the `Driver` applies them in
history order.
"""

from __future__ import annotations

import inspect
from asyncio import CancelledError
from collections import deque
from typing import Any, Callable, Coroutine

from engines.replay.context import WorkflowContext, WorkflowInfo
from engines.replay.errors import ActivityError, ChildWorkflowError, WorkflowTaskError, failure_from
from engines.replay.futures import WorkflowFuture
from engines.replay.history import CHILD_UNSUCCESSFUL_EVENTS, EventType, HistoryEvent


class ActivationJobs:
    """The input handlers the `Driver` inherits; the state they touch is the driver's."""

    fn: Callable[..., Coroutine]
    info: WorkflowInfo
    ctx: WorkflowContext
    _activities: dict[int, WorkflowFuture]
    _activity_meta: dict[int, tuple[str, str]]
    _timers: dict[str, WorkflowFuture]
    _children: dict[int, WorkflowFuture]
    _local: dict[int, WorkflowFuture]
    _tasks: list[Any]
    _ready: deque[Any]

    def _spawn(self, coro: Coroutine, main: bool = False) -> WorkflowFuture:
        raise NotImplementedError

    def _apply(self, e: HistoryEvent) -> None:
        """Hand one input event to the code (resolve its future, deliver its signal...)."""
        on_input = _ON_INPUT.get(e.event_type)
        if on_input is not None:
            on_input(self, e)

    def _on_started(self, e: HistoryEvent) -> None:
        coro = self.fn(self.ctx, *e.attributes.get("input", []))
        if not inspect.iscoroutine(coro):
            raise WorkflowTaskError(f"workflow {self.info.workflow_type} must be an async def (it returned {type(coro).__name__})")
        self._spawn(coro, main=True)

    def _on_activity_completed(self, e: HistoryEvent) -> None:
        self._activity_meta.pop(e.attributes["scheduled_event_id"], None)
        fut = self._activities.pop(e.attributes["scheduled_event_id"], None)
        if fut is not None:
            fut.set_result(e.attributes.get("result"))

    def _on_activity_failed(self, e: HistoryEvent) -> None:
        """ActivityTaskFailed or ActivityTaskTimedOut: the activity's future raises ActivityError."""
        a = e.attributes
        fut = self._activities.pop(a["scheduled_event_id"], None)
        if fut is not None:
            kind, aid = self._activity_meta.pop(a["scheduled_event_id"], (a.get("activity_type", "?"), "?"))
            failure = a.get("failure") or {"type": "TimeoutError", "message": "start-to-close timeout"}
            fut.set_exception(ActivityError(kind, aid, failure_from(failure),
                                            timed_out=e.event_type == EventType.ACTIVITY_TASK_TIMED_OUT,
                                            attempt=a.get("attempt", 0), scheduled_event_id=a["scheduled_event_id"],
                                            started_event_id=a.get("started_event_id") or 0,
                                            retry_state=str(a.get("retry_state") or "")))

    def _on_marker(self, e: HistoryEvent) -> None:
        fut = self._local.pop(e.event_id, None)
        if fut is not None:
            fut.set_result(e.attributes)

    def _on_timer_fired(self, e: HistoryEvent) -> None:
        fut = self._timers.pop(e.attributes["timer_id"], None)
        if fut is not None:
            fut.set_result(None)

    def _on_signaled(self, e: HistoryEvent) -> None:
        self.ctx._deliver_signal(e.attributes["signal_name"], e.attributes.get("input"))

    def _on_cancel_requested(self, e: HistoryEvent) -> None:
        """CancelledError is thrown into the main coroutine where it waits (it may catch it and compensate)."""
        self.ctx.cancel_requested = True
        main = self._tasks[0] if self._tasks else None
        if main is not None and not main.future.done():
            main.throw = CancelledError("workflow cancellation requested")
            if main.waiting is not None:
                main.waiting = None
                self._ready.append(main)

    def _on_child_closed(self, e: HistoryEvent) -> None:
        a, t = e.attributes, e.event_type
        fut = self._children.pop(a["initiated_event_id"], None)
        if fut is None:
            return
        if t == EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED:
            fut.set_result(a.get("result"))
        else:
            failure = a.get("failure") or {"type": t.removeprefix("ChildWorkflowExecution"), "message": str(t)}
            fut.set_exception(ChildWorkflowError(a["workflow_id"], a.get("workflow_type", "?"), failure_from(failure)))


#: what each input event does to the code; a dict lookup per event, as a replay walks whole histories
_ON_INPUT: dict[str, Callable[[ActivationJobs, HistoryEvent], None]] = {
    EventType.WORKFLOW_EXECUTION_STARTED: ActivationJobs._on_started,
    EventType.ACTIVITY_TASK_COMPLETED: ActivationJobs._on_activity_completed,
    EventType.ACTIVITY_TASK_FAILED: ActivationJobs._on_activity_failed,
    EventType.ACTIVITY_TASK_TIMED_OUT: ActivationJobs._on_activity_failed,
    EventType.MARKER_RECORDED: ActivationJobs._on_marker,
    EventType.TIMER_FIRED: ActivationJobs._on_timer_fired,
    EventType.WORKFLOW_EXECUTION_SIGNALED: ActivationJobs._on_signaled,
    EventType.WORKFLOW_EXECUTION_CANCEL_REQUESTED: ActivationJobs._on_cancel_requested,
    EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED: ActivationJobs._on_child_closed,
    **{t: ActivationJobs._on_child_closed for t in CHILD_UNSUCCESSFUL_EVENTS},
}
