"""Workflow tasks: "run the code of this run again and tell me what it decides".

A run has at most one workflow task row. Anything that wakes the run (its start, an activity
result, a timer, a signal) schedules one, or, if a worker is running it right now, marks it to
run once more. Claiming writes WorkflowTaskStarted and a lease of WORKFLOW_TASK_TIMEOUT; a lease
that ran out first records WorkflowTaskTimedOut (Temporal's name) and a fresh schedule. A task
whose code failed is *blocked* until a worker with (possibly fixed) code starts.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum
from typing import Any

from engines import jsonio
from engines.replay.history import EventType, HistoryEvent
from engines.replay.history_store import HistoryStore
from engines.replay.task_claims import LeaseLost, WorkflowTaskClaim
from engines.replay.task_queues import TaskKind, TaskQueues

WORKFLOW_TASK_TIMEOUT = 10.0  # seconds of virtual time, Temporal's default


class WorkflowTaskFailedCause(StrEnum):
    """Why a workflow task failed (the `cause` of WorkflowTaskFailed, as stored)."""

    NON_DETERMINISTIC_ERROR = "NonDeterministicError"
    WORKFLOW_TASK_FAILED = "WorkflowTaskFailed"  # the code raised, or needs something not registered
    #: the server refused a completion that closes the run while new events waited (Temporal's
    #: UNHANDLED_COMMAND): the code must see them first
    UNHANDLED_COMMAND = "UnhandledCommand"


#: events a buffered event names by id, wired when the buffer is written (Temporal's
#: HistoryBuilder does the same): a result's started_event_id is its ActivityTaskStarted
_STARTED_BY = {EventType.ACTIVITY_TASK_COMPLETED, EventType.ACTIVITY_TASK_FAILED, EventType.ACTIVITY_TASK_TIMED_OUT}


class WorkflowTasks:
    """Scheduling, claiming, failing and retrying the workflow tasks of one store."""

    def __init__(self, history: HistoryStore, queues: TaskQueues) -> None:
        self._history = history
        self._timeline = history.timeline
        self._queues = queues

    # --- events from outside the code, and the buffer while a task is in flight ---------------------
    def add_input(self, c: sqlite3.Connection, run_id: str, event_type: EventType, attrs: dict[str, Any], *,
                  traced: bool = True) -> int | None:
        """An event from outside the code (a signal, an activity's outcome, a timer firing, a
        cancel request, a child's close). While a worker holds the run's workflow task it is
        buffered and written after that task's WorkflowTaskCompleted (or Failed / TimedOut), as
        Temporal does: a history never has an input between a WorkflowTaskStarted and its end.
        Returns the event id, or None when buffered. The caller then `schedule`s the run."""
        row = c.execute("SELECT task_id, lease_owner, lease_expires, scheduled_event_id, started_event_id, payload "
                        "FROM rp_tasks WHERE run_id = ? AND kind = ?", (run_id, TaskKind.WORKFLOW)).fetchone()
        if row is not None and row[1] is not None:
            if row[2] > self._timeline.ts():
                data = jsonio.loads(row[5] or "{}")
                data.setdefault("buffered", []).append([str(event_type), attrs, self._timeline.ts(), traced])
                c.execute("UPDATE rp_tasks SET payload = ?, rerun = 1 WHERE task_id = ?", (jsonio.dumps_strict(data), row[0]))
                return None
            self.time_out(c, row[0], run_id, row[3], row[4])  # its worker is gone: the task times out now
        return self._history.append(c, run_id, event_type, attrs, traced=traced)

    def flush(self, c: sqlite3.Connection, task_id: int, run_id: str) -> int:
        """Write the events buffered while the task was in flight, in arrival order and with their
        arrival times; returns how many."""
        row = c.execute("SELECT payload FROM rp_tasks WHERE task_id = ?", (task_id,)).fetchone()
        data = jsonio.loads(row[0]) if row is not None and row[0] else {}
        items = data.pop("buffered", [])
        started: dict[int, int] = {}
        for event_type, attrs, ts, traced in items:
            t = EventType(event_type)
            if t in _STARTED_BY and attrs.get("started_event_id") is None:
                attrs["started_event_id"] = started.get(attrs["scheduled_event_id"])
            event_id = self._history.append(c, run_id, t, attrs, ts=ts, traced=traced)
            if t == EventType.ACTIVITY_TASK_STARTED:
                started[attrs["scheduled_event_id"]] = event_id
        if items:
            c.execute("UPDATE rp_tasks SET payload = ? WHERE task_id = ?", (jsonio.dumps_strict(data), task_id))
        return len(items)

    def flush_run(self, c: sqlite3.Connection, run_id: str) -> int:
        """`flush` the run's workflow task, if it has one (before the run is terminated)."""
        row = c.execute("SELECT task_id FROM rp_tasks WHERE run_id = ? AND kind = ?", (run_id, TaskKind.WORKFLOW)).fetchone()
        return self.flush(c, row[0], run_id) if row is not None else 0

    @staticmethod
    def has_buffered(task: sqlite3.Row) -> bool:
        return bool(jsonio.loads(task["payload"] or "{}").get("buffered"))

    def time_out(self, c: sqlite3.Connection, task_id: int, run_id: str, sched: int, started: int | None) -> int:
        """The holder's lease ran out: WorkflowTaskTimedOut, what was buffered meanwhile, and a new
        WorkflowTaskScheduled. Returns the new scheduled event id (the row is claimable at once)."""
        queue = c.execute("SELECT task_queue FROM rp_tasks WHERE task_id = ?", (task_id,)).fetchone()[0]
        self._history.append(c, run_id, EventType.WORKFLOW_TASK_TIMED_OUT,
                             {"scheduled_event_id": sched, "started_event_id": started})
        self.flush(c, task_id, run_id)
        new = self._history.append(c, run_id, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": queue})
        c.execute("UPDATE rp_tasks SET lease_owner = NULL, lease_expires = NULL, scheduled_event_id = ?, visible_at = ?, "
                  "rerun = 0 WHERE task_id = ?", (new, self._timeline.ts(), task_id))
        return new

    def schedule(self, c: sqlite3.Connection, run_id: str) -> None:
        """Wake the run: one workflow task waits in the queue (or the running one will rerun)."""
        queue, workflow_type, task_id, leased = c.execute(
            "SELECT r.task_queue, r.workflow_type, t.task_id, t.lease_owner FROM rp_runs r LEFT JOIN rp_tasks t "
            "ON t.run_id = r.run_id AND t.kind = ? WHERE r.run_id = ?", (TaskKind.WORKFLOW, run_id)).fetchone()
        if task_id is not None:
            if leased is not None:
                c.execute("UPDATE rp_tasks SET rerun = 1 WHERE task_id = ?", (task_id,))
            return
        sched = self._history.append(c, run_id, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": queue})
        now = self._timeline.ts()
        c.execute("INSERT INTO rp_tasks (kind, task_queue, run_id, type_name, scheduled_event_id, visible_at, "
                  "first_scheduled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (TaskKind.WORKFLOW, queue, run_id, workflow_type, sched, now, now))

    def claim(self, task_queue: str, worker_id: str, types: list[str], *,
              run_id: str | None = None) -> WorkflowTaskClaim | None:
        """Atomically take the oldest runnable workflow task of a registered type (or None).

        With `run_id`, only that run's task: a worker that just recorded an activity of the run
        asks for its next workflow task at once (sticky), skipping the poll.
        """
        if not types:
            return None
        now = self._timeline.ts()
        if run_id is None and not self._queues.maybe_runnable(TaskKind.WORKFLOW, task_queue, now):
            return None
        marks = ",".join("?" * len(types))
        where, params = self._queues.visible(TaskKind.WORKFLOW, task_queue, now, run_id, "t.")
        with self._history.transaction() as c:
            row = c.execute(
                "SELECT t.task_id, t.run_id, t.scheduled_event_id, t.lease_owner, t.started_event_id, r.workflow_id, "
                f"r.workflow_type, t.attempt FROM rp_tasks t JOIN rp_runs r ON r.run_id = t.run_id WHERE {where} "
                f"AND t.blocked IS NULL AND (t.lease_owner IS NULL OR t.lease_expires <= ?) AND r.workflow_type IN ({marks}) "
                "ORDER BY t.visible_at, t.task_id LIMIT 1", (*params, now, *types)).fetchone()
            if row is None:
                return None
            task_id, run_id, sched, attempt = row[0], row[1], row[2], row[7]
            if attempt > 1:  # a retry after a failure: nothing is stored until it completes
                if row[3] is not None:
                    self.flush(c, task_id, run_id)  # a dead holder's buffer; a transient task times out silently
                return self._start_transient(c, task_id, run_id, row[5], row[6], worker_id, attempt, task_queue)
            if row[3] is not None:  # the previous worker's lease ran out: Temporal's WorkflowTaskTimedOut
                sched = self.time_out(c, task_id, run_id, sched, row[4])
            return self.start(c, task_id, run_id, sched, row[5], row[6], worker_id)

    def start(self, c: sqlite3.Connection, task_id: int, run_id: str, sched: int, workflow_id: str, workflow_type: str,
              worker_id: str) -> WorkflowTaskClaim:
        """WorkflowTaskStarted and the lease: what every claim of a workflow task writes."""
        started = self._history.append(c, run_id, EventType.WORKFLOW_TASK_STARTED,
                                       {"scheduled_event_id": sched, "identity": worker_id})
        c.execute("UPDATE rp_tasks SET lease_owner = ?, lease_expires = ?, started_event_id = ?, scheduled_event_id = ?, "
                  "rerun = 0, attempt = 1 WHERE task_id = ?",
                  (worker_id, self._timeline.ts() + WORKFLOW_TASK_TIMEOUT, started, sched, task_id))
        return WorkflowTaskClaim(task_id, run_id, workflow_id, workflow_type, started, worker_id)

    def _start_transient(self, c: sqlite3.Connection, task_id: int, run_id: str, workflow_id: str, workflow_type: str,
                         worker_id: str, attempt: int, task_queue: str) -> WorkflowTaskClaim:
        """Claim a retry of a failed task as Temporal does: its Scheduled and Started events are
        handed to the worker, not stored; they are written when (and only if) the task completes,
        so a task that keeps failing adds nothing to the history."""
        sched = self._history.open_run(c, run_id).next_event_id
        now = self._timeline.ts()
        transient = (HistoryEvent(sched, now, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": task_queue, "attempt": attempt}),
                     HistoryEvent(sched + 1, now, EventType.WORKFLOW_TASK_STARTED,
                                  {"scheduled_event_id": sched, "identity": worker_id, "attempt": attempt}))
        c.execute("UPDATE rp_tasks SET lease_owner = ?, lease_expires = ?, started_event_id = ?, scheduled_event_id = ?, "
                  "rerun = 0 WHERE task_id = ?", (worker_id, now + WORKFLOW_TASK_TIMEOUT, sched + 1, sched, task_id))
        return WorkflowTaskClaim(task_id, run_id, workflow_id, workflow_type, sched + 1, worker_id, attempt, transient)

    def write_transient(self, c: sqlite3.Connection, claim: WorkflowTaskClaim) -> None:
        """A retried task completes: its Scheduled and Started events are stored now, with the ids
        the worker replayed them with (nothing else was written meanwhile: inputs were buffered)."""
        for e in claim.transient:
            event_id = self._history.append(c, claim.run_id, e.event_type, e.attributes, ts=e.ts)
            if event_id != e.event_id:
                raise LeaseLost(f"the history of {claim.workflow_id} grew while its workflow task ran")
        if claim.transient:
            c.execute("UPDATE rp_runs SET stuck = NULL WHERE run_id = ?", (claim.run_id,))

    def reschedule(self, c: sqlite3.Connection, task_id: int, run_id: str, task_queue: str) -> None:
        """The completed task runs again (something woke the run meanwhile, or local activity
        results are waiting): a new WorkflowTaskScheduled, and the row is claimable at once."""
        sched = self._history.append(c, run_id, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": task_queue})
        c.execute("UPDATE rp_tasks SET lease_owner = NULL, lease_expires = NULL, rerun = 0, scheduled_event_id = ?, "
                  "visible_at = ?, attempt = 1 WHERE task_id = ?", (sched, self._timeline.ts(), task_id))

    @staticmethod
    def remove(c: sqlite3.Connection, task_id: int) -> None:
        """The completed task is done: the run sleeps until something wakes it."""
        c.execute("DELETE FROM rp_tasks WHERE task_id = ?", (task_id,))

    def fail(self, claim: WorkflowTaskClaim, cause: WorkflowTaskFailedCause, message: str, failure_type: str = "") -> None:
        """A worker failed the task. The first failure records WorkflowTaskFailed (with the ids of
        the task's Scheduled and Started events and the failure, as Temporal does) and is retried at
        once as attempt 2, with no new event (a transient task). A retry that fails again records
        nothing (Temporal does not repeat the failure) and waits (blocked) until a worker with
        possibly fixed code starts; Temporal keeps retrying with a growing backoff instead, which
        a skip-time worker would turn into an endless loop. Events buffered meanwhile are written."""
        with self._history.transaction() as c:
            task = self._queues.check_lease(c, claim.task_id, claim.worker_id)
            if claim.attempt == 1:
                self._history.append(c, claim.run_id, EventType.WORKFLOW_TASK_FAILED,
                                     {"scheduled_event_id": task["scheduled_event_id"],
                                      "started_event_id": claim.started_event_id, "cause": cause, "message": message,
                                      "identity": claim.worker_id,
                                      "failure": {"type": failure_type or str(cause), "message": message}})
            self.flush(c, claim.task_id, claim.run_id)
            c.execute("UPDATE rp_tasks SET blocked = ?, lease_owner = NULL, lease_expires = NULL, attempt = ?, visible_at = ? "
                      "WHERE task_id = ?", (message if claim.attempt > 1 else None, claim.attempt + 1, self._timeline.ts(),
                                            claim.task_id))
            c.execute("UPDATE rp_runs SET stuck = ? WHERE run_id = ?", (message, claim.run_id))

    def retry_blocked(self, types: list[str]) -> int:
        """A worker with (possibly fixed) code starts: failed workflow tasks of its types are tried again."""
        if not types:
            return 0
        marks = ",".join("?" * len(types))
        with self._history.transaction() as c:
            rows = c.execute(f"SELECT task_id, run_id, task_queue FROM rp_tasks WHERE kind = ? AND blocked IS NOT NULL "
                             f"AND type_name IN ({marks})", (TaskKind.WORKFLOW, *types)).fetchall()
            for task_id, _run_id, _queue in rows:  # still a retry: its events are written when it completes
                c.execute("UPDATE rp_tasks SET blocked = NULL, visible_at = ? WHERE task_id = ?", (self._timeline.ts(), task_id))
            return len(rows)
