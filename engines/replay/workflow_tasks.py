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

from engines.replay.history import EventType
from engines.replay.history_store import HistoryStore
from engines.replay.task_claims import WorkflowTaskClaim
from engines.replay.task_queues import TaskKind, TaskQueues

WORKFLOW_TASK_TIMEOUT = 10.0  # seconds of virtual time, Temporal's default


class WorkflowTaskFailedCause(StrEnum):
    """Why a worker failed a workflow task (the `cause` of WorkflowTaskFailed, as stored)."""

    NON_DETERMINISTIC_ERROR = "NonDeterministicError"
    WORKFLOW_TASK_FAILED = "WorkflowTaskFailed"  # the code raised, or needs something not registered


class WorkflowTasks:
    """Scheduling, claiming, failing and retrying the workflow tasks of one store."""

    def __init__(self, history: HistoryStore, queues: TaskQueues) -> None:
        self._history = history
        self._timeline = history.timeline
        self._queues = queues

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
        # one run's task: found through rp_tasks_run (the unary + keeps the planner off the poll
        # index, which would walk every queued task); a poll: the oldest visible one, by rp_tasks_poll
        where = ("t.run_id = ? AND t.kind = ? AND +t.task_queue = ? AND +t.visible_at <= ?" if run_id is not None
                 else "t.kind = ? AND t.task_queue = ? AND t.visible_at <= ?")
        with self._history.transaction() as c:
            row = c.execute(
                "SELECT t.task_id, t.run_id, t.scheduled_event_id, t.lease_owner, t.started_event_id, r.workflow_id, "
                f"r.workflow_type FROM rp_tasks t JOIN rp_runs r ON r.run_id = t.run_id WHERE {where} "
                f"AND t.blocked IS NULL AND (t.lease_owner IS NULL OR t.lease_expires <= ?) AND r.workflow_type IN ({marks}) "
                "ORDER BY t.visible_at, t.task_id LIMIT 1",
                (*((run_id,) if run_id is not None else ()), TaskKind.WORKFLOW, task_queue, now, now, *types)).fetchone()
            if row is None:
                return None
            task_id, run_id, sched = row[0], row[1], row[2]
            if row[3] is not None:  # the previous worker's lease ran out: Temporal's WorkflowTaskTimedOut
                self._history.append(c, run_id, EventType.WORKFLOW_TASK_TIMED_OUT,
                                     {"scheduled_event_id": sched, "started_event_id": row[4]})
                sched = self._history.append(c, run_id, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": task_queue})
            return self.start(c, task_id, run_id, sched, row[5], row[6], worker_id)

    def start(self, c: sqlite3.Connection, task_id: int, run_id: str, sched: int, workflow_id: str, workflow_type: str,
              worker_id: str) -> WorkflowTaskClaim:
        """WorkflowTaskStarted and the lease: what every claim of a workflow task writes."""
        started = self._history.append(c, run_id, EventType.WORKFLOW_TASK_STARTED,
                                       {"scheduled_event_id": sched, "identity": worker_id})
        c.execute("UPDATE rp_tasks SET lease_owner = ?, lease_expires = ?, started_event_id = ?, scheduled_event_id = ?, "
                  "rerun = 0 WHERE task_id = ?",
                  (worker_id, self._timeline.ts() + WORKFLOW_TASK_TIMEOUT, started, sched, task_id))
        return WorkflowTaskClaim(task_id, run_id, workflow_id, workflow_type, started, worker_id)

    def reschedule(self, c: sqlite3.Connection, task_id: int, run_id: str, task_queue: str) -> None:
        """The completed task runs again (something woke the run meanwhile, or local activity
        results are waiting): a new WorkflowTaskScheduled, and the row is claimable at once."""
        sched = self._history.append(c, run_id, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": task_queue})
        c.execute("UPDATE rp_tasks SET lease_owner = NULL, lease_expires = NULL, rerun = 0, scheduled_event_id = ?, "
                  "visible_at = ? WHERE task_id = ?", (sched, self._timeline.ts(), task_id))

    @staticmethod
    def remove(c: sqlite3.Connection, task_id: int) -> None:
        """The completed task is done: the run sleeps until something wakes it."""
        c.execute("DELETE FROM rp_tasks WHERE task_id = ?", (task_id,))

    def fail(self, claim: WorkflowTaskClaim, cause: WorkflowTaskFailedCause, message: str) -> None:
        """Record WorkflowTaskFailed; the task waits (blocked) until a worker with new code starts."""
        with self._history.transaction() as c:
            self._queues.check_lease(c, claim.task_id, claim.worker_id)
            self._history.append(c, claim.run_id, EventType.WORKFLOW_TASK_FAILED,
                                 {"cause": cause, "message": message, "started_event_id": claim.started_event_id})
            c.execute("UPDATE rp_tasks SET blocked = ?, lease_owner = NULL, lease_expires = NULL WHERE task_id = ?",
                      (message, claim.task_id))
            c.execute("UPDATE rp_runs SET stuck = ? WHERE run_id = ?", (message, claim.run_id))

    def retry_blocked(self, types: list[str]) -> int:
        """A worker with (possibly fixed) code starts: failed workflow tasks of its types are tried again."""
        if not types:
            return 0
        marks = ",".join("?" * len(types))
        with self._history.transaction() as c:
            rows = c.execute(f"SELECT task_id, run_id, task_queue FROM rp_tasks WHERE kind = ? AND blocked IS NOT NULL "
                             f"AND type_name IN ({marks})", (TaskKind.WORKFLOW, *types)).fetchall()
            for task_id, run_id, queue in rows:
                sched = self._history.append(c, run_id, EventType.WORKFLOW_TASK_SCHEDULED, {"task_queue": queue})
                c.execute("UPDATE rp_tasks SET blocked = NULL, scheduled_event_id = ?, visible_at = ? WHERE task_id = ?",
                          (sched, self._timeline.ts(), task_id))
                c.execute("UPDATE rp_runs SET stuck = NULL WHERE run_id = ?", (run_id,))
            return len(rows)
