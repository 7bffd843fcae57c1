"""Where executions live: SQLite tables for state machine versions, executions, their threads,
their history and task tokens.

Every transition is one transaction that appends the new history events and writes what changed:
the rows of the threads that moved (`sfn_threads`: which state each branch or iteration is in,
with what input, what it waits for, until when), the deletion of those that are gone, and the
execution's counters when they moved (`sfn_progress`; the next event id is the history's last
one plus one). A branch or iteration that ends keeps its row, rewritten in its final form
(status, output or error, no data): that is its result, folded into the parent, until the
parent joins and the rows go. Its parent's row is not rewritten as its children come back: what
the parent counts is read back from those rows. A transition therefore costs the same whether a
Map has ten items or ten thousand: no row it rewrites grows with the Map (SQLite rewrites a
whole row, overflow pages and all, on any UPDATE, so what is big and what changes often never
share one). `sfn_executions` is written when the execution starts and when it ends.

Killing the process between two transitions loses nothing: a new `Engine` on the same file
reloads the rows and carries on. The virtual time is saved alongside, so a restarted process's
clock can be set back to where the dead one stood.

Schema 1 kept every thread in one JSON document (`sfn_executions.runtime`, with `next_event`
beside it), rewritten whole at every transition. Migration 2 moves each thread of it into a row
of its own as it was written (`Thread.from_row` reads that form; the next checkpoint writes the
thread in the new one) and the counters into `sfn_progress`.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engines import jsonio
from engines.statemachine.history import HistoryEvent, HistoryEventType
from engines.store import Store

if TYPE_CHECKING:
    from engines.statemachine.execution import ThreadChanges

ENGINE = "statemachine"
SCHEMA_VERSION = 2
_V2_TABLES = """
CREATE TABLE sfn_progress (
    execution TEXT PRIMARY KEY, seq INTEGER NOT NULL, deadline TEXT
) WITHOUT ROWID;
CREATE TABLE sfn_threads (
    execution TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL, data TEXT, PRIMARY KEY (execution, n)
);
CREATE INDEX sfn_tokens_by_execution ON sfn_tokens (execution);
"""
DDL = """
CREATE TABLE sfn_state_machines (
    name TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE sfn_executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, state_machine TEXT NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,
    start TEXT NOT NULL, stop TEXT
);
CREATE TABLE sfn_history (
    execution TEXT NOT NULL, id INTEGER NOT NULL, previous INTEGER NOT NULL, timestamp TEXT NOT NULL,
    type TEXT NOT NULL, state TEXT, details TEXT NOT NULL, PRIMARY KEY (execution, id)
);
CREATE TABLE sfn_tokens (
    token TEXT PRIMARY KEY, execution TEXT NOT NULL, thread TEXT NOT NULL, status TEXT NOT NULL, answer TEXT
);
""" + _V2_TABLES
#: migrations[v] upgrades a file from schema v-1 to v (engines.store runs them in one transaction).
MIGRATIONS = MappingProxyType({
    2: _V2_TABLES + """
INSERT INTO sfn_progress (execution, seq, deadline)
    SELECT arn, json_extract(runtime, '$.seq'), json_extract(runtime, '$.deadline') FROM sfn_executions;
INSERT INTO sfn_threads (execution, n, body)
    SELECT e.arn, CAST(substr(t.key, 2) AS INTEGER), t.value
    FROM sfn_executions AS e, json_each(e.runtime, '$.threads') AS t;
ALTER TABLE sfn_executions DROP COLUMN runtime;
ALTER TABLE sfn_executions DROP COLUMN next_event;
"""})
CLOCK_META = "statemachine.clock"


class TokenStatus(StrEnum):
    """A task token's life: issued and waited on, answered by SendTask*, closed (used, timed out, ended)."""

    WAITING = "waiting"
    ANSWERED = "answered"
    CLOSED = "closed"


class ExecutionStore:
    """The engine's tables in one `Store` (which the services may share)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._clock_written: str | None = None
        store.ensure_schema(ENGINE, SCHEMA_VERSION, DDL, MIGRATIONS)

    # state machines -------------------------------------------------------------------------
    def latest_version(self, name: str) -> int | None:
        row = self.store.one("SELECT MAX(version) FROM sfn_state_machines WHERE name = ?", (name,))
        return None if row is None or row[0] is None else int(row[0])

    def add_version(self, name: str, definition: dict, created: str) -> int:
        with self.store.transaction() as c:
            row = c.execute("SELECT MAX(version) FROM sfn_state_machines WHERE name = ?", (name,)).fetchone()
            version = (row[0] or 0) + 1
            c.execute("INSERT INTO sfn_state_machines VALUES (?, ?, ?, ?)", (name, version, jsonio.dumps(definition), created))
        return version

    def definition(self, name: str, version: int) -> dict | None:
        row = self.store.one("SELECT definition FROM sfn_state_machines WHERE name = ? AND version = ?", (name, version))
        return None if row is None else jsonio.loads(row[0])

    # executions -----------------------------------------------------------------------------
    def insert_execution(self, row: dict) -> None:
        with self.store.transaction() as c:
            c.execute("INSERT INTO sfn_executions (arn, name, state_machine, version, status, input, start) "
                      "VALUES (:arn, :name, :state_machine, :version, :status, :input, :start)", row)

    def checkpoint(self, arn: str, progress: tuple[int, str | None] | None, ended: dict | None, events: list[tuple],
                   clock_iso: str, threads: ThreadChanges | None = None) -> None:
        """One transition, atomically: new history rows, the changed threads' rows, the execution's counters
        (seq, deadline; None: unchanged) and, once it has ended, its outcome (`ended`: status, output, …)."""
        with self.store.transaction() as c:
            if events:
                c.executemany("INSERT INTO sfn_history VALUES (?, ?, ?, ?, ?, ?, ?)", events)
            if threads is not None:
                if threads.deletes:
                    c.executemany("DELETE FROM sfn_threads WHERE execution = ? AND n = ?", threads.deletes)
                if threads.rows:  # an upsert updates in place (a REPLACE would move the row and touch the index)
                    c.executemany("INSERT INTO sfn_threads (execution, n, body, data) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (execution, n) DO UPDATE SET body = excluded.body, data = excluded.data",
                                  threads.rows)
            if progress is not None:
                c.execute("INSERT OR REPLACE INTO sfn_progress (execution, seq, deadline) VALUES (?, ?, ?)",
                          (arn, *progress))
            if ended is not None:
                sets = ", ".join(f"{k} = :{k}" for k in ended)
                c.execute(f"UPDATE sfn_executions SET {sets} WHERE arn = :arn", {**ended, "arn": arn})
            if clock_iso != self._clock_written:
                self.store.set_meta(CLOCK_META, clock_iso)
        self._clock_written = clock_iso

    def progress(self, arn: str) -> tuple[int, str | None, int] | None:
        """The execution's counters: the last thread number handed out, its deadline, its next event id."""
        row = self.store.one("SELECT p.seq, p.deadline, (SELECT COALESCE(MAX(h.id), 0) + 1 FROM sfn_history AS h "
                             "WHERE h.execution = p.execution) FROM sfn_progress AS p WHERE p.execution = ?", (arn,))
        return None if row is None else (int(row[0]), row[1], int(row[2]))

    def threads(self, arn: str) -> list[tuple[int, str, str | None]]:
        """The execution's thread rows (n, body, data), in creation order."""
        return [(r[0], r[1], r[2]) for r in
                self.store.query("SELECT n, body, data FROM sfn_threads WHERE execution = ? ORDER BY n", (arn,))]

    def execution(self, arn: str) -> dict | None:
        row = self.store.one("SELECT * FROM sfn_executions WHERE arn = ?", (arn,))
        return None if row is None else dict(row)

    def executions(self, status: str | None = None) -> list[dict]:
        sql = "SELECT * FROM sfn_executions" + (" WHERE status = ?" if status else "") + " ORDER BY start, arn"
        return [dict(r) for r in self.store.query(sql, (status,) if status else ())]

    def history(self, arn: str) -> list[HistoryEvent]:
        rows = self.store.query("SELECT id, previous, timestamp, type, state, details FROM sfn_history "
                                "WHERE execution = ? ORDER BY id", (arn,))
        return [HistoryEvent(r[0], r[1], r[2], HistoryEventType(r[3]), r[4], jsonio.loads(r[5])) for r in rows]

    # task tokens ----------------------------------------------------------------------------
    def add_token(self, token: str, arn: str, thread: str) -> None:
        with self.store.transaction() as c:
            c.execute("INSERT INTO sfn_tokens VALUES (?, ?, ?, ?, NULL)", (token, arn, thread, TokenStatus.WAITING))

    def token(self, token: str) -> dict | None:
        """The token's row (execution, thread, status, answer JSON), or None if it was never issued."""
        row = self.store.one("SELECT * FROM sfn_tokens WHERE token = ?", (token,))
        return None if row is None else dict(row)

    def set_token(self, token: str, status: TokenStatus, answer: Any = None) -> None:
        with self.store.transaction() as c:
            c.execute("UPDATE sfn_tokens SET status = ?, answer = ? WHERE token = ?",
                      (status, None if answer is None else jsonio.dumps(answer), token))

    def close_token(self, token: str) -> None:
        """The task the token belongs to is over (it failed, timed out or was answered): no answer is taken now."""
        with self.store.transaction() as c:
            c.execute("UPDATE sfn_tokens SET status = ? WHERE token = ? AND status != ?",
                      (TokenStatus.CLOSED, token, TokenStatus.CLOSED))

    def close_tokens(self, arn: str) -> None:
        with self.store.transaction() as c:
            c.execute("UPDATE sfn_tokens SET status = ? WHERE execution = ? AND status != ?",
                      (TokenStatus.CLOSED, arn, TokenStatus.CLOSED))

    def clock(self) -> str | None:
        """The virtual time the last checkpoint was written at (iso text), for a restarted process."""
        return self.store.get_meta(CLOCK_META)
