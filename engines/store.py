"""One small SQLite helper that every engine uses for its own tables.

A database file is the unit of durability: kill the process, reopen the file, nothing is lost.
Opening never damages a file it does not understand: a corrupt file, a non-SQLite file or a
schema newer than this code gets a clear `StoreError` and is left exactly as it was.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from engines.errors import WorkflowCanvasError

SQLITE_HEADER = b"SQLite format 3\x00"
MEMORY = ":memory:"


class StoreError(WorkflowCanvasError):
    """A database file cannot be used; the message names the file and why."""


class NotADatabaseError(StoreError):
    pass


class CorruptDatabaseError(StoreError):
    pass


class SchemaVersionError(StoreError):
    pass


class DatabaseLockedError(StoreError):
    """Another process holds the file locked for longer than we wait."""


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


_META_DDL = """
CREATE TABLE IF NOT EXISTS wc_schema (engine TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS wc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _check_header(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if head != SQLITE_HEADER:
        raise NotADatabaseError(f"{path}: not an SQLite database (the file is left untouched)")


class Store:
    """An open database with explicit transactions and per-engine schema versions."""

    def __init__(self, path: str | Path = MEMORY, *, timeout: float = 10.0) -> None:
        self.path = str(path)
        if self.path != MEMORY:
            p = Path(self.path)
            if p.is_dir():
                raise StoreError(f"{p}: is a directory, not a database file")
            _check_header(p)
            p.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self.path != MEMORY:
                self._enter_wal(timeout)
                self.conn.execute("PRAGMA synchronous = NORMAL")
            check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise CorruptDatabaseError(f"{self.path}: the database is damaged ({check}); the file is left untouched")
            self.conn.executescript(_META_DDL)
        except sqlite3.OperationalError as exc:
            self._close_quietly()
            if _is_locked(exc):
                raise DatabaseLockedError(f"{self.path}: another process holds a lock on the database (waited "
                                          f"{timeout:g} s); the file is left untouched") from None
            raise CorruptDatabaseError(f"{self.path}: cannot be read as a database ({exc}); the file is left untouched") from None
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise CorruptDatabaseError(f"{self.path}: cannot be read as a database ({exc}); the file is left untouched") from None
        except StoreError:
            self._close_quietly()
            raise
        self._lock = threading.RLock()
        self._depth = 0

    def _enter_wal(self, timeout: float) -> None:
        """Switch a file to WAL, waiting (up to `timeout`) while another process holds it.

        SQLite does not call the busy handler for this switch, so two processes opening a new file
        at once would otherwise see "database is locked" at once. This is wall-clock I/O waiting,
        not engine time: no virtual clock is involved.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    def _close_quietly(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    # --- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error: no half-written step.

        Nested uses join the outer transaction, so a helper can be called inside a bigger one.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self._depth = 0
                self.conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple | Mapping = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.conn.execute(sql, params)

    def query(self, sql: str, params: tuple | Mapping = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | Mapping = ()) -> sqlite3.Row | None:
        with self._lock:
            return self.conn.execute(sql, params).fetchone()

    # --- schema -------------------------------------------------------------------------------
    def schema_version(self, engine: str) -> int | None:
        row = self.one("SELECT version FROM wc_schema WHERE engine = ?", (engine,))
        return None if row is None else int(row[0])

    def ensure_schema(self, engine: str, version: int, ddl: str, migrations: Mapping[int, str] | None = None) -> None:
        """Create `engine`'s tables on first use; refuse a version this code does not know.

        `migrations[v]` upgrades a file from version v-1 to v. The version is read again after the
        write lock is taken: two processes opening a new file at the same moment both see "no
        tables", and only the first to get the lock may create them (the other finds them made).
        """
        found = self.schema_version(engine)
        if found == version:
            return  # the common case, without taking the write lock
        self._refuse_newer(engine, found, version)
        with self.transaction() as conn:
            found = self.schema_version(engine)
            if found == version:
                return
            self._refuse_newer(engine, found, version)
            if found is None:
                for stmt in _statements(ddl):
                    conn.execute(stmt)
            else:
                for v in range(found + 1, version + 1):
                    if not migrations or v not in migrations:
                        raise SchemaVersionError(
                            f"{self.path}: the {engine} tables have schema version {found} and no "
                            f"upgrade to {version} is known; use another --db file"
                        )
                    for stmt in _statements(migrations[v]):
                        conn.execute(stmt)
            conn.execute("INSERT OR REPLACE INTO wc_schema (engine, version) VALUES (?, ?)", (engine, version))

    def _refuse_newer(self, engine: str, found: int | None, version: int) -> None:
        if found is not None and found > version:
            raise SchemaVersionError(
                f"{self.path}: the {engine} tables have schema version {found}, newer than this "
                f"program understands ({version}); upgrade workflow-canvas or use another --db file"
            )

    # --- a small key/value table (e.g. an engine's persisted virtual time) --------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM wc_meta WHERE key = ?", (key,))
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        """Inside an open transaction this joins it, so an engine saves its time with its step."""
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO wc_meta (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self._close_quietly()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _statements(ddl: str) -> list[str]:
    """Split a script into statements, keeping triggers (which contain `;`) whole."""
    out: list[str] = []
    current = ""
    for line in ddl.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


def open_store(path: str | Path = MEMORY, engine: str | None = None, version: int | None = None, ddl: str = "",
               migrations: Mapping[int, str] | None = None) -> Store:
    """Open (or create) a database and make sure `engine`'s tables are at `version`."""
    store = Store(path)
    if engine is not None and version is not None:
        try:
            store.ensure_schema(engine, version, ddl, migrations)
        except BaseException:
            store.close()
            raise
    return store
