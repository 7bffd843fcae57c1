"""Histories on disk, and the transaction every service step commits in (Temporal's history
service persistence: events are appended, never changed).

Everything one step decides (its events, task rows, timers and the virtual time) is committed in
one BEGIN IMMEDIATE transaction, so a crash leaves either all of it or none of it. A transaction
counts each run's next event id in memory and writes the new events in one batch just before
COMMIT; trace events it produced are emitted only after COMMIT, so a trace never shows a step
that was rolled back.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType
from typing import Any, Iterator, Mapping

from engines.replay.history import EventType, HistoryEvent, decode_events, describe
from engines.replay.payloads import to_json_text
from engines.replay.timeline import Timeline
from engines.store import Store
from engines.trace import Severity, TraceRecorder

#: how loud each history event is in the trace (the rest are INFO)
_SEVERITY: Mapping[str, Severity] = MappingProxyType({
    EventType.ACTIVITY_TASK_FAILED: Severity.WARNING, EventType.ACTIVITY_TASK_TIMED_OUT: Severity.WARNING,
    EventType.WORKFLOW_TASK_FAILED: Severity.ERROR, EventType.WORKFLOW_TASK_TIMED_OUT: Severity.WARNING,
    EventType.WORKFLOW_EXECUTION_FAILED: Severity.ERROR, EventType.WORKFLOW_EXECUTION_TERMINATED: Severity.ERROR,
    EventType.CHILD_WORKFLOW_EXECUTION_FAILED: Severity.WARNING,
})

_SELECT_ROWS = "SELECT event_id, time, event_type, attributes FROM rp_history WHERE run_id = ? AND event_id > ? "


class OpenRun:
    """A run's next event id while a transaction appends to it: read once from the history's
    primary key, then counted here, so appending writes only the history rows."""

    __slots__ = ("next_event_id", "warned", "workflow_id")

    def __init__(self, next_event_id: int, warned: int, workflow_id: str) -> None:
        self.next_event_id = next_event_id
        self.warned = warned
        self.workflow_id = workflow_id

    @property
    def length(self) -> int:
        """Events in the run's history, counting the ones this transaction appended."""
        return self.next_event_id - 1


class HistoryStore:
    """Appends and reads the histories of one store, inside transactions that also persist the
    timeline and hold back trace events until COMMIT.

    The per-transaction buffers are guarded by a re-entrant lock, so one server may be shared by
    threads (a UI thread signalling while a worker thread polls): each transaction is whole.
    """

    def __init__(self, store: Store, timeline: Timeline, trace: TraceRecorder | None) -> None:
        self.store = store
        self.timeline = timeline
        self.trace = trace
        self._lock = threading.RLock()
        self._depth = 0
        self._pending_trace: list[tuple[tuple[datetime, str, str, str, Severity], dict[str, Any]]] = []
        self._open_runs: dict[str, OpenRun] = {}  # runs appended to in the open transaction
        self._new_events: list[tuple[str, int, float, str, str]] = []  # their rows, inserted in one batch

    # --- the transaction -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A store transaction that also writes the appended events and the virtual time before
        COMMIT, and emits its trace events after. Nested uses join the outer one."""
        with self._lock:
            outer = self._depth == 0
            self._depth += 1
            try:
                with self.store.transaction() as c:
                    yield c
                    if outer:
                        self._write_events(c)
                        self.timeline.persist()
            except BaseException:
                if outer:
                    self._pending_trace.clear()
                    self._open_runs.clear()
                    self._new_events.clear()
                raise
            finally:
                self._depth -= 1
            if outer:
                self._flush_trace()

    def _write_events(self, c: sqlite3.Connection) -> None:
        """The events this transaction appended, in one batch just before COMMIT."""
        if self._new_events:
            c.executemany("INSERT INTO rp_history (run_id, event_id, time, event_type, attributes) VALUES (?, ?, ?, ?, ?)",
                          self._new_events)
        self._new_events.clear()
        self._open_runs.clear()

    def _flush_trace(self) -> None:
        pending, self._pending_trace = self._pending_trace, []
        if self.trace is not None:
            for args, kw in pending:
                self.trace.emit(*args, **kw)

    def emit(self, kind: str, subject: str, detail: str, severity: Severity = Severity.INFO, **data: Any) -> None:
        """A trace event that is not a history event (attempts, skips, workers); after commit if in one."""
        item = ((self.timeline.now(), kind, subject, detail, severity), data)
        with self._lock:
            if self._depth:
                self._pending_trace.append(item)
                return
        if self.trace is not None:
            self.trace.emit(*item[0], **item[1])

    # --- appending ---------------------------------------------------------------------------
    def begin_run(self, run_id: str, workflow_id: str) -> None:
        """A run created in this transaction: its history starts at event 1."""
        self._open_runs[run_id] = OpenRun(1, 0, workflow_id)

    def open_run(self, c: sqlite3.Connection, run_id: str) -> OpenRun:
        """The run's counters in this transaction (read from the store on first use)."""
        run = self._open_runs.get(run_id)
        if run is None:
            row = c.execute("SELECT (SELECT COALESCE(MAX(event_id), 0) + 1 FROM rp_history WHERE run_id = ?), warned, "
                            "workflow_id FROM rp_runs WHERE run_id = ?", (run_id, run_id)).fetchone()
            run = self._open_runs[run_id] = OpenRun(row[0], row[1], row[2])
        return run

    def append(self, c: sqlite3.Connection, run_id: str, event_type: EventType, attrs: dict[str, Any], *,
               traced: bool = True, ts: float | None = None) -> int:
        """Give the event the run's next id; its row is written with the others at the end of the
        transaction, one batch instead of two statements per event. Returns the event id.

        `ts` keeps an earlier event time: a buffered event is written with the time it arrived
        (as Temporal does), so event times need not grow with event ids."""
        run = self.open_run(c, run_id)
        event_id = run.next_event_id
        run.next_event_id += 1
        self._new_events.append((run_id, event_id, self.timeline.ts() if ts is None else ts, event_type,
                                 to_json_text(attrs, f"attributes of {event_type}")))
        if traced and self.trace is not None:
            self._pending_trace.append(((self.timeline.now(), event_type, run.workflow_id, describe(event_type, attrs),
                                         _SEVERITY.get(event_type, Severity.INFO)),
                                        {"event_id": event_id, "run_id": run_id, "attributes": attrs}))
        return event_id

    # --- reading -------------------------------------------------------------------------------
    def rows(self, run_id: str, *, after: int = 0, upto: int | None = None) -> list[tuple[Any, ...]]:
        """Stored events `after` < event_id <= `upto` as (event_id, time, type, attributes JSON) rows.

        A history is append-only, so a worker may keep the rows it read and fetch only newer ones.
        """
        if upto is None:
            found = self.store.query(_SELECT_ROWS + "ORDER BY event_id", (run_id, after))
        else:
            found = self.store.query(_SELECT_ROWS + "AND event_id <= ? ORDER BY event_id", (run_id, after, upto))
        return [tuple(r) for r in found]

    def events(self, run_id: str, upto: int | None = None) -> list[HistoryEvent]:
        return decode_events(self.rows(run_id, upto=upto))
