"""Task queues (Temporal's matching service): the rows workers poll, and the leases they hold.

Every task, workflow or activity, is a row of `rp_tasks` on a named queue. A poll takes the oldest
visible row of a type the worker knows and leases it in virtual time; an expired lease makes the
row claimable again (the worker died or hung). `workflow_tasks` and `activity_tasks` say what
claiming and completing each kind of task writes; this module holds what both kinds share.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum

from engines.replay.history_store import HistoryStore
from engines.replay.task_claims import LeaseLost
from engines.replay.worker_registry import WorkerRegistry


class TaskKind(StrEnum):
    """The two kinds of task a queue holds (the stored `rp_tasks.kind`)."""

    WORKFLOW = "workflow"
    ACTIVITY = "activity"


class TaskQueues:
    """The queue questions every poll, skip and completion asks."""

    def __init__(self, history: HistoryStore, workers: WorkerRegistry) -> None:
        self._store = history.store
        self._timeline = history.timeline
        self._workers = workers

    def maybe_runnable(self, kind: TaskKind, task_queue: str, now: float) -> bool:
        """A read without the write lock: most polls find nothing and need no transaction."""
        return self._store.one("SELECT 1 FROM rp_tasks WHERE kind = ? AND task_queue = ? AND blocked IS NULL AND visible_at <= ? "
                               "AND (lease_owner IS NULL OR lease_expires <= ?) LIMIT 1",
                               (kind, task_queue, now, now)) is not None

    @staticmethod
    def visible(kind: TaskKind, task_queue: str, now: float, run_id: str | None, col: str = "") -> tuple[str, tuple]:
        """A claim's WHERE on `rp_tasks` (columns prefixed `col`) and its parameters: a poll's
        oldest visible task of the queue by rp_tasks_poll, or, with `run_id`, only that run's by
        rp_tasks_run (the unary + keeps the planner off the poll index, which would walk every
        queued task)."""
        if run_id is None:
            return f"{col}kind = ? AND {col}task_queue = ? AND {col}visible_at <= ?", (kind, task_queue, now)
        return (f"{col}run_id = ? AND {col}kind = ? AND +{col}task_queue = ? AND +{col}visible_at <= ?",
                (run_id, kind, task_queue, now))

    @staticmethod
    def check_lease(c: sqlite3.Connection, task_id: int, worker_id: str, attempt: int | None = None) -> sqlite3.Row:
        """The task row, if `worker_id` still holds it (for that attempt); else `LeaseLost`."""
        row = c.execute("SELECT * FROM rp_tasks WHERE task_id = ?", (task_id,)).fetchone()
        if row is None or row["lease_owner"] != worker_id or (attempt is not None and row["attempt"] != attempt):
            raise LeaseLost(f"task {task_id} is no longer leased to {worker_id}")
        return row

    @staticmethod
    def drop_run(c: sqlite3.Connection, run_id: str) -> None:
        """A closed run's tasks leave the queues."""
        c.execute("DELETE FROM rp_tasks WHERE run_id = ?", (run_id,))

    def queue_depth(self) -> dict[str, int]:
        """Visible tasks by kind (leased ones included): what the app's queue gauge shows."""
        rows = self._store.query("SELECT kind, COUNT(*) FROM rp_tasks WHERE visible_at <= ? GROUP BY kind",
                                 (self._timeline.ts(),))
        return {r[0]: r[1] for r in rows}

    def busy_elsewhere(self, worker_id: str) -> bool:
        """Does a live worker other than this one hold a lease? (Then time must not be skipped.)"""
        rows = self._store.query("SELECT DISTINCT lease_owner FROM rp_tasks WHERE lease_owner IS NOT NULL "
                                 "AND lease_owner != ? AND lease_expires > ?", (worker_id, self._timeline.ts()))
        return any(self._workers.is_alive(r[0]) for r in rows)

    def next_ready_at(self) -> float | None:
        """When a task next becomes claimable: a retry's backoff ends, or a dead worker's lease runs out."""
        found: list[float] = []
        t = self._store.one("SELECT MIN(visible_at) FROM rp_tasks WHERE blocked IS NULL AND lease_owner IS NULL")
        if t is not None and t[0] is not None:
            found.append(t[0])
        for owner, expires in self._store.query("SELECT lease_owner, lease_expires FROM rp_tasks "
                                                "WHERE lease_owner IS NOT NULL"):
            if not self._workers.is_alive(owner):
                found.append(expires)
        return min(found) if found else None
