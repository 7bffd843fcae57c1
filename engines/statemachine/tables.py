"""Where executions live: SQLite tables for state machine versions, executions, their history
and task tokens.

Every transition is one transaction that appends the new history events and rewrites the
execution's runtime snapshot (its threads: which state each branch is in, what it waits for,
until when). Killing the process between two transitions loses nothing: a new `Engine` on the
same file reloads the snapshot and carries on. The virtual time is saved alongside, so a
restarted process's clock can be set back to where the dead one stood.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from engines import jsonio
from engines.statemachine.history import HistoryEvent, HistoryEventType
from engines.store import Store

ENGINE = "statemachine"
SCHEMA_VERSION = 1
DDL = """
CREATE TABLE sfn_state_machines (
    name TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE sfn_executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, state_machine TEXT NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,
    start TEXT NOT NULL, stop TEXT, runtime TEXT NOT NULL, next_event INTEGER NOT NULL
);
CREATE TABLE sfn_history (
    execution TEXT NOT NULL, id INTEGER NOT NULL, previous INTEGER NOT NULL, timestamp TEXT NOT NULL,
    type TEXT NOT NULL, state TEXT, details TEXT NOT NULL, PRIMARY KEY (execution, id)
);
CREATE TABLE sfn_tokens (
    token TEXT PRIMARY KEY, execution TEXT NOT NULL, thread TEXT NOT NULL, status TEXT NOT NULL, answer TEXT
);
"""
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
        store.ensure_schema(ENGINE, SCHEMA_VERSION, DDL)

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
            c.execute("INSERT INTO sfn_executions (arn, name, state_machine, version, status, input, start, runtime, next_event) "
                      "VALUES (:arn, :name, :state_machine, :version, :status, :input, :start, :runtime, :next_event)", row)

    def checkpoint(self, arn: str, fields: dict, events: list[tuple], clock_iso: str) -> None:
        """One transition: new history rows + the execution's new snapshot, atomically."""
        with self.store.transaction() as c:
            if events:
                c.executemany("INSERT INTO sfn_history VALUES (?, ?, ?, ?, ?, ?, ?)", events)
            sets = ", ".join(f"{k} = :{k}" for k in fields)
            c.execute(f"UPDATE sfn_executions SET {sets} WHERE arn = :arn", {**fields, "arn": arn})
            if clock_iso != self._clock_written:
                self.store.set_meta(CLOCK_META, clock_iso)
        self._clock_written = clock_iso

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

    def close_tokens(self, arn: str) -> None:
        with self.store.transaction() as c:
            c.execute("UPDATE sfn_tokens SET status = ? WHERE execution = ? AND status != ?",
                      (TokenStatus.CLOSED, arn, TokenStatus.CLOSED))

    def clock(self) -> str | None:
        """The virtual time the last checkpoint was written at (iso text), for a restarted process."""
        return self.store.get_meta(CLOCK_META)
