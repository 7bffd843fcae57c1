"""Completing a workflow task: the code's commands become history events (Temporal's history
service handles RespondWorkflowTaskCompleted the same way).

WorkflowTaskCompleted and every command's event are written in one transaction, with what each
command implies: an activity task row, a timer row, a child run, or the run's close. A closing
command ends the list. Afterwards the run's workflow task is removed, or scheduled again when
something woke the run while the worker was busy (or local-activity results wait for the code).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable

from engines.replay import commands as cmd
from engines.replay.errors import WorkflowAlreadyStartedError
from engines.replay.executions import Executions, WorkflowExecutionStatus
from engines.replay.history import EventType
from engines.replay.history_store import HistoryStore
from engines.replay.activity_tasks import ActivityTasks
from engines.replay.sdk_flags import CoreFlag, sdk_metadata
from engines.replay.task_claims import ActivityClaim, EagerRequest, WorkflowTaskClaim
from engines.replay.task_queues import TaskQueues
from engines.replay.timeline import to_datetime
from engines.replay.timers import TimerQueue
from engines.replay.workflow_tasks import WorkflowTaskFailedCause, WorkflowTasks

RUNNING = WorkflowExecutionStatus.RUNNING
#: commands that close the run
_CLOSING = (cmd.CompleteWorkflowExecution, cmd.FailWorkflowExecution, cmd.CancelWorkflowExecution,
            cmd.ContinueAsNewWorkflowExecution)
_UNHANDLED = "new events arrived while the workflow task ran; the run is not closed before its code has seen them"


class _Completion:
    """One completion in progress: events that must follow the commands' own, and the task it
    may hand back to the worker (the first eligible activity, claimed eagerly)."""

    __slots__ = ("after", "eager", "handed")

    def __init__(self, eager: EagerRequest | None) -> None:
        self.after: list[tuple[EventType, dict[str, Any]]] = []
        self.eager = eager
        self.handed: ActivityClaim | None = None


class WorkflowTaskHandler:
    """Turns a completed workflow task's commands into events, task rows, timers and runs."""

    def __init__(self, history: HistoryStore, queues: TaskQueues, workflow_tasks: WorkflowTasks,
                 activity_tasks: ActivityTasks, timers: TimerQueue, executions: Executions) -> None:
        self._history = history
        self._timeline = history.timeline
        self._queues = queues
        self._workflow_tasks = workflow_tasks
        self._activity_tasks = activity_tasks
        self._timers = timers
        self._executions = executions

    def complete(self, claim: WorkflowTaskClaim, commands: list[cmd.Command], eager: EagerRequest | None = None,
                 sdk_flags: Iterable[CoreFlag] = ()) -> tuple[WorkflowExecutionStatus, ActivityClaim | WorkflowTaskClaim | None]:
        """Record WorkflowTaskCompleted and every command's event in one transaction. Returns the
        run's status, and with `eager` the next task already claimed for that worker: the first
        activity it can run (Temporal's request_eager_execution), or None.

        `sdk_flags` (Temporal's coreUsedFlags) are recorded on the WorkflowTaskCompleted: the SDK
        flags the code's replay checks rely on that the history had not recorded yet.

        Local-activity markers among the commands wake the code again: the run gets a new
        workflow task in the same transaction (Temporal forces one after local activity results),
        and with `eager` it comes back already started for this worker (sticky) instead of an activity.
        """
        local = any(isinstance(command, cmd.ScheduleLocalActivity) for command in commands)
        sticky = eager if local else None
        done = _Completion(None if local else eager)
        with self._history.transaction() as c:
            task = self._queues.check_lease(c, claim.task_id, claim.worker_id)
            run_id = claim.run_id
            self._workflow_tasks.write_transient(c, claim)  # a retried task's Scheduled and Started
            completed: dict[str, Any] = {"scheduled_event_id": task["scheduled_event_id"],
                                         "started_event_id": claim.started_event_id, "identity": claim.worker_id}
            metadata = sdk_metadata(sdk_flags)
            if metadata:
                completed["sdk_metadata"] = metadata
            if self._workflow_tasks.has_buffered(task) and any(isinstance(x, _CLOSING) for x in commands):
                # Temporal's UNHANDLED_COMMAND: the run may not close before its code has seen what arrived
                self._history.append(c, run_id, EventType.WORKFLOW_TASK_FAILED, {
                    "scheduled_event_id": task["scheduled_event_id"], "started_event_id": claim.started_event_id,
                    "cause": WorkflowTaskFailedCause.UNHANDLED_COMMAND, "identity": claim.worker_id,
                    "message": _UNHANDLED, "failure": {"type": WorkflowTaskFailedCause.UNHANDLED_COMMAND, "message": _UNHANDLED}})
                self._workflow_tasks.flush(c, claim.task_id, run_id)
                self._workflow_tasks.reschedule(c, claim.task_id, run_id, task["task_queue"])
                return RUNNING, None
            self._history.append(c, run_id, EventType.WORKFLOW_TASK_COMPLETED, completed)
            status = RUNNING
            for command in commands:
                status = self._apply(c, claim, command, done)
                if status != RUNNING:
                    break
            for event_type, attrs in done.after:
                self._history.append(c, run_id, event_type, attrs)
            if status == RUNNING:  # what arrived while the task was in flight follows its completion
                self._workflow_tasks.flush(c, claim.task_id, run_id)
            if status == RUNNING:
                status = self._executions.enforce_limits(c, run_id)
            if status != RUNNING:
                return status, None
            if sticky is not None and claim.workflow_type in sticky.workflow_types:
                sched = self._history.append(c, run_id, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": task["task_queue"]})
                return status, self._workflow_tasks.start(c, claim.task_id, run_id, sched, claim.workflow_id,
                                                          claim.workflow_type, sticky.worker_id)
            if task["rerun"] or local:
                self._workflow_tasks.reschedule(c, claim.task_id, run_id, task["task_queue"])
            else:
                self._workflow_tasks.remove(c, claim.task_id)
            return status, done.handed

    def _apply(self, c: sqlite3.Connection, claim: WorkflowTaskClaim, command: cmd.Command,
               done: _Completion) -> WorkflowExecutionStatus:
        """One command's event and effects; returns the run's status after it."""
        run_id = claim.run_id
        attrs = command.attributes()
        if isinstance(command, cmd.ScheduleActivityTask):
            event_id = self._history.append(c, run_id, command.event_type, attrs)
            handed = self._activity_tasks.schedule(c, run_id, claim.workflow_id, event_id, attrs, done.eager)
            if handed is not None:
                done.handed, done.eager = handed, None  # one hand-off per completion
        elif isinstance(command, cmd.StartTimer):
            fire_at = self._timeline.ts() + command.seconds
            event_id = self._history.append(c, run_id, command.event_type,
                                            {**attrs, "fire_at": to_datetime(fire_at).isoformat()})
            self._timers.start(c, run_id, command.timer_id, event_id, fire_at)
        elif isinstance(command, cmd.CancelTimer):
            self._history.append(c, run_id, command.event_type, attrs)
            self._timers.cancel(c, run_id, command.timer_id)
        elif isinstance(command, (cmd.RecordMarker, cmd.ScheduleLocalActivity, cmd.SetPatchMarker,
                                  cmd.UpsertWorkflowSearchAttributes)):
            self._history.append(c, run_id, command.event_type, attrs)
        elif isinstance(command, cmd.StartChildWorkflowExecution):
            self._start_child(c, claim, command, attrs, done)
        elif isinstance(command, cmd.CompleteWorkflowExecution):
            self._executions.close(c, run_id, WorkflowExecutionStatus.COMPLETED, command.event_type, attrs,
                                   result=command.result)
            return WorkflowExecutionStatus.COMPLETED
        elif isinstance(command, cmd.FailWorkflowExecution):
            self._executions.close(c, run_id, WorkflowExecutionStatus.FAILED, command.event_type, attrs,
                                   failure=command.failure)
            return WorkflowExecutionStatus.FAILED
        elif isinstance(command, cmd.CancelWorkflowExecution):
            self._executions.close(c, run_id, WorkflowExecutionStatus.CANCELED, command.event_type, attrs,
                                   failure={"type": "Canceled", "message": "canceled"})
            return WorkflowExecutionStatus.CANCELED
        elif isinstance(command, cmd.ContinueAsNewWorkflowExecution):
            self._executions.continue_as_new(c, run_id, command.args, attrs)
            return WorkflowExecutionStatus.CONTINUED_AS_NEW
        return RUNNING

    def _start_child(self, c: sqlite3.Connection, claim: WorkflowTaskClaim, command: cmd.StartChildWorkflowExecution,
                     attrs: dict[str, Any], done: _Completion) -> None:
        """StartChildWorkflowExecutionInitiated, and the child run in the same transaction. Its
        ChildWorkflowExecutionStarted (or Failed, if the id is taken) follows the task's commands."""
        run_id = claim.run_id
        initiated = self._history.append(c, run_id, command.event_type, attrs)
        child = {"initiated_event_id": initiated, "workflow_id": command.workflow_id, "workflow_type": command.workflow_type}
        try:
            child_run = self._executions.start(c, command.workflow_type, command.args, command.workflow_id,
                                               command.task_queue, parent=(run_id, initiated, claim.workflow_id))
        except WorkflowAlreadyStartedError as exc:
            done.after.append((EventType.CHILD_WORKFLOW_EXECUTION_FAILED,
                               {**child, "failure": {"type": "WorkflowExecutionAlreadyStarted", "message": str(exc)}}))
            self._workflow_tasks.schedule(c, run_id)
            return
        done.after.append((EventType.CHILD_WORKFLOW_EXECUTION_STARTED, {**child, "run_id": child_run}))
