"""The service side of the engine (Temporal's "server"), as the frontend that clients and workers call.

Clients and workers both talk to a `Server` over one SQLite file. Behind this façade the work is
split the way Temporal splits its services:

- `history_store` / `timeline`: append-only histories, and the transaction every step commits in
  (events, rows and virtual time together, so a crash leaves all of a step or none of it);
- `executions`: runs: start, signal, cancel, terminate, close, describe;
- `workflow_task_handler`: a completed workflow task's commands become events;
- `task_queues`, `workflow_tasks`, `activity_tasks` (the matching side): polls claim tasks
  under leases in virtual time; an expired lease makes a task claimable again;
- `timers`: durable timers, and when anything next becomes due;
- `worker_registry`: which workers are alive.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from engines.clock import Clock, VirtualClock
from engines.replay import commands as cmd
from engines.replay.activity_tasks import ActivityTasks
from engines.replay.executions import Executions, WorkflowExecution, WorkflowExecutionStatus
from engines.replay.history import EventType, HistoryEvent
from engines.replay.history_store import HistoryStore
from engines.replay.limits import HistoryLimits
from engines.replay.sdk_flags import CoreFlag
from engines.replay.tables import DDL, ENGINE, MIGRATIONS, SCHEMA_VERSION
from engines.replay.task_claims import ActivityClaim, EagerRequest, WorkflowTaskClaim
from engines.replay.task_queues import TaskQueues
from engines.replay.timeline import Timeline
from engines.replay.timers import TimerQueue
from engines.replay.worker_registry import WorkerRegistry
from engines.replay.workflow_task_handler import WorkflowTaskHandler
from engines.replay.workflow_tasks import WorkflowTaskFailedCause, WorkflowTasks
from engines.store import Store, open_store
from engines.trace import Severity, TraceRecorder

__all__ = ["Server", "WorkflowExecution"]


class Server:
    """Histories, queues and time over one store. Share one between a client and its workers."""

    def __init__(self, store: Store | str | Path = ":memory:", clock: Clock | None = None, *,
                 trace: TraceRecorder | None = None, limits: HistoryLimits | None = None) -> None:
        self.store = store if isinstance(store, Store) else open_store(store)
        self.store.ensure_schema(ENGINE, SCHEMA_VERSION, DDL, MIGRATIONS)
        self.limits = limits or HistoryLimits()
        self.timeline = Timeline(self.store, clock if clock is not None else VirtualClock())
        self.histories = HistoryStore(self.store, self.timeline, trace)
        self.workers = WorkerRegistry(self.histories)
        self.queues = TaskQueues(self.histories, self.workers)
        self.workflow_tasks = WorkflowTasks(self.histories, self.queues)
        self.activity_tasks = ActivityTasks(self.histories, self.queues, self.workflow_tasks)
        self.timers = TimerQueue(self.histories, self.queues, self.workflow_tasks)
        self.executions = Executions(self.histories, self.workflow_tasks, self.queues, self.timers, self.limits)
        self.workflow_task_handler = WorkflowTaskHandler(self.histories, self.queues, self.workflow_tasks,
                                                         self.activity_tasks, self.timers, self.executions)
        self.sync_time()

    @property
    def clock(self) -> Clock:
        return self.timeline.clock

    @property
    def trace(self) -> TraceRecorder | None:
        return self.histories.trace

    # --- time ------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.timeline.now()

    def sync_time(self) -> None:
        """Catch up with the timeline other processes may have moved forward (virtual clocks only)."""
        self.timeline.sync()

    def advance_to(self, t: datetime) -> None:
        """Move the virtual clock forward (skip-time) and persist the new time."""
        self.timeline.advance_to(t)
        with self.histories.transaction():
            pass

    def emit(self, kind: str, subject: str, detail: str, severity: Severity = Severity.INFO, **data: Any) -> None:
        """A trace event that is not a history event (attempts, skips, workers); after commit if in one."""
        self.histories.emit(kind, subject, detail, severity, **data)

    # --- histories -------------------------------------------------------------------------------
    def history(self, run_id: str, upto: int | None = None) -> list[HistoryEvent]:
        return self.histories.events(run_id, upto)

    def history_rows(self, run_id: str, *, after: int = 0, upto: int | None = None) -> list[tuple[Any, ...]]:
        """Stored events `after` < event_id <= `upto` as (event_id, time, type, attributes JSON) rows."""
        return self.histories.rows(run_id, after=after, upto=upto)

    # --- runs (the frontend's workflow service calls) --------------------------------------------
    def run_row(self, workflow_id: str, run_id: str | None = None) -> sqlite3.Row:
        return self.executions.run_row(workflow_id, run_id)

    def describe(self, workflow_id: str, run_id: str | None = None) -> WorkflowExecution:
        return self.executions.describe(workflow_id, run_id)

    def list_executions(self) -> list[WorkflowExecution]:
        return self.executions.list_runs()

    def runs_of(self, workflow_id: str) -> list[WorkflowExecution]:
        return self.executions.list_runs(workflow_id)

    def start_workflow(self, workflow_type: str, args: list, workflow_id: str, task_queue: str = "default") -> str:
        """Create a run with WorkflowExecutionStarted and its first workflow task. Returns the run id."""
        with self.histories.transaction() as c:
            return self.executions.start(c, workflow_type, args, workflow_id, task_queue)

    def signal(self, workflow_id: str, name: str, payload: Any = None) -> int | None:
        """Record WorkflowExecutionSignaled in the running run and wake it. Returns the event id,
        or None when a worker holds the run's workflow task: the signal is buffered and written
        after that task completes (Temporal's order)."""
        with self.histories.transaction() as c:
            run_id = self.executions.running(c, workflow_id)
            event_id = self.workflow_tasks.add_input(c, run_id, EventType.WORKFLOW_EXECUTION_SIGNALED,
                                                     {"signal_name": name, "input": payload})
            self.workflow_tasks.schedule(c, run_id)
            return event_id

    def request_cancel(self, workflow_id: str, reason: str = "") -> None:
        with self.histories.transaction() as c:
            run_id = self.executions.running(c, workflow_id)
            self.workflow_tasks.add_input(c, run_id, EventType.WORKFLOW_EXECUTION_CANCEL_REQUESTED, {"reason": reason})
            self.workflow_tasks.schedule(c, run_id)

    def terminate(self, workflow_id: str, reason: str) -> None:
        with self.histories.transaction() as c:
            self.executions.terminate(c, self.executions.running(c, workflow_id), reason)

    # --- workflow tasks ----------------------------------------------------------------------------
    def claim_workflow_task(self, task_queue: str, worker_id: str, types: list[str], *,
                            run_id: str | None = None) -> WorkflowTaskClaim | None:
        return self.workflow_tasks.claim(task_queue, worker_id, types, run_id=run_id)

    def complete_workflow_task(self, claim: WorkflowTaskClaim, commands: list[cmd.Command], eager: EagerRequest | None = None,
                               sdk_flags: Iterable[CoreFlag] = (),
                               ) -> tuple[WorkflowExecutionStatus, ActivityClaim | WorkflowTaskClaim | None]:
        """Record the task's decision (and the SDK flags it newly used); returns the run's status
        and the task handed back by `eager`."""
        return self.workflow_task_handler.complete(claim, commands, eager, sdk_flags)

    def fail_workflow_task(self, claim: WorkflowTaskClaim, cause: WorkflowTaskFailedCause, message: str,
                           failure_type: str = "") -> None:
        self.workflow_tasks.fail(claim, cause, message, failure_type)

    def retry_blocked(self, types: list[str]) -> int:
        return self.workflow_tasks.retry_blocked(types)

    # --- activity tasks ----------------------------------------------------------------------------
    def claim_activity_task(self, task_queue: str, worker_id: str, types: list[str], *,
                            run_id: str | None = None) -> ActivityClaim | None:
        return self.activity_tasks.claim(task_queue, worker_id, types, run_id=run_id)

    def heartbeat(self, claim: ActivityClaim, details: Any) -> None:
        self.activity_tasks.heartbeat(claim, details)

    def complete_activity(self, claim: ActivityClaim, result: Any) -> None:
        self.activity_tasks.complete(claim, result)

    def fail_activity(self, claim: ActivityClaim, failure: dict[str, Any]) -> bool:
        return self.activity_tasks.fail(claim, failure)

    # --- timers, skipping and queues ---------------------------------------------------------------
    def fire_due_timers(self) -> int:
        return self.timers.fire_due()

    def next_due(self) -> datetime | None:
        return self.timers.next_due()

    def busy_elsewhere(self, worker_id: str) -> bool:
        return self.queues.busy_elsewhere(worker_id)

    def queue_depth(self) -> dict[str, int]:
        return self.queues.queue_depth()

    # --- workers -----------------------------------------------------------------------------------
    def register_worker(self, worker_id: str, task_queue: str) -> None:
        self.workers.register(worker_id, task_queue)

    def stop_worker(self, worker_id: str, *, crashed: bool = False) -> None:
        self.workers.stop(worker_id, crashed=crashed)

    def live_workers(self, task_queue: str | None = None) -> int:
        return self.workers.live_count(task_queue)

    def close(self) -> None:
        self.store.close()
