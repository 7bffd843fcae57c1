"""Durable timers (the timer queue of Temporal's history service).

`ctx.sleep` records TimerStarted and a row with an absolute due time; the timer survives any
restart because it is data, not a sleeping thread. When the (virtual) clock reaches the due time,
TimerFired is recorded and the run gets a workflow task. With skip-time, a worker that finds
nothing runnable jumps the clock straight to `next_due`.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from engines.replay.history import EventType
from engines.replay.history_store import HistoryStore
from engines.replay.task_queues import TaskQueues
from engines.replay.timeline import to_datetime
from engines.replay.workflow_tasks import WorkflowTasks


class TimerQueue:
    """The durable timers of one store, and when anything next becomes due."""

    def __init__(self, history: HistoryStore, queues: TaskQueues, workflow_tasks: WorkflowTasks) -> None:
        self._history = history
        self._store = history.store
        self._timeline = history.timeline
        self._queues = queues
        self._workflow_tasks = workflow_tasks

    @staticmethod
    def start(c: sqlite3.Connection, run_id: str, timer_id: str, started_event_id: int, fire_at: float) -> None:
        c.execute("INSERT OR REPLACE INTO rp_timers (run_id, timer_id, started_event_id, fire_at) VALUES (?, ?, ?, ?)",
                  (run_id, timer_id, started_event_id, fire_at))

    @staticmethod
    def cancel(c: sqlite3.Connection, run_id: str, timer_id: str) -> None:
        c.execute("DELETE FROM rp_timers WHERE run_id = ? AND timer_id = ?", (run_id, timer_id))

    @staticmethod
    def drop_run(c: sqlite3.Connection, run_id: str) -> None:
        """A closed run's timers never fire."""
        c.execute("DELETE FROM rp_timers WHERE run_id = ?", (run_id,))

    def fire_due(self) -> int:
        """TimerFired for every timer due by now, each waking its workflow. Returns how many fired."""
        now = self._timeline.ts()
        if self._store.one("SELECT 1 FROM rp_timers WHERE fire_at <= ? LIMIT 1", (now,)) is None:
            return 0
        with self._history.transaction() as c:
            rows = c.execute("SELECT run_id, timer_id, started_event_id FROM rp_timers WHERE fire_at <= ? ORDER BY fire_at",
                             (now,)).fetchall()
            for run_id, timer_id, started in rows:
                self._workflow_tasks.add_input(c, run_id, EventType.TIMER_FIRED,
                                               {"timer_id": timer_id, "started_event_id": started})
                self.cancel(c, run_id, timer_id)
                self._workflow_tasks.schedule(c, run_id)
            return len(rows)

    def next_due(self) -> datetime | None:
        """When something next becomes runnable: a timer, a retry backoff, or a dead worker's lease."""
        now = self._timeline.ts()
        found: list[float] = []
        row = self._store.one("SELECT MIN(fire_at) FROM rp_timers")
        if row is not None and row[0] is not None:
            found.append(row[0])
        ready = self._queues.next_ready_at()
        if ready is not None:
            found.append(ready)
        if not found:
            return None
        return to_datetime(max(min(found), now))
