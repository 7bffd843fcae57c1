"""One SQLite helper that every engine uses for its own tables, and the one path every database opens by.

A database file is the unit of durability: kill the process, reopen the file, nothing is lost.
Opening never damages a file it does not understand. Before the first write, `Store` checks, in
this order, with reads only:

1. the file is a regular SQLite file (its 16-byte header), and SQLite's `PRAGMA quick_check` is ok;
2. it is a Workflow Canvas database: its header's `application_id` is `APPLICATION_ID` ("WCnv"),
   or it is empty (a new file), or it is a file an earlier version made (no application_id, but
   our `wc_schema` table), which is then marked as ours (the migration);
3. its store format (the header's `user_version`, the layout of `wc_schema`/`wc_meta`) is not
   newer than `STORE_FORMAT`;
4. the engine that owns it: the one of `ENGINES` whose tables it holds (a row in `wc_schema`).
   A file holds one engine's tables; components that work beside an engine (the services'
   ledger, a workload's tables) may join any engine's file. Asking for another engine's file
   (`owner=`, or `ensure_schema` for an engine) is refused.

A file that fails a check gets a one-line `StoreError` naming the file and the fault, and is left
byte for byte as it was (no -wal or -shm file is left behind either). Each component's own schema
version is checked by `ensure_schema` before that component writes.

Writes wait for another process's lock at most `timeout` seconds (SQLite's busy timeout), then
fail with `DatabaseLockedError`; a full disk fails with `DiskFullError`. Either way the
transaction is rolled back whole, as SQLite guarantees, so nothing is half-written.

`synchronous`: WAL with NORMAL (the default) survives a killed process and an OS crash of the
process, but can lose the last commits on power loss; `durable=True` (or `durable_writes()`) uses
FULL, which syncs the WAL on every commit (bench/durability.py measures the price).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Iterator, Mapping, Union

from engines.errors import WorkflowCanvasError

SQLITE_HEADER = b"SQLite format 3\x00"
MEMORY = ":memory:"

#: The header's application_id for every Workflow Canvas database: b"WCnv" read as a big-endian int.
APPLICATION_ID = int.from_bytes(b"WCnv", "big")
#: The header's user_version: the layout of the store's own tables (wc_schema, wc_meta).
#: 0 = a file made before these checks existed (migrated to 1 on first open).
STORE_FORMAT = 1
#: The engines that own a database file; at most one of them has tables in any file.
ENGINES: tuple[str, ...] = ("replay", "dag", "statemachine")

#: A migration step: SQL text, or a function run inside the same transaction (e.g. a backfill).
Migration = Union[str, Callable[[sqlite3.Connection], None]]


class StoreError(WorkflowCanvasError):
    """A database file cannot be used; the message names the file and why."""


class NotADatabaseError(StoreError):
    """Not an SQLite file, or an SQLite file that belongs to another program."""


class CorruptDatabaseError(StoreError):
    pass


class SchemaVersionError(StoreError):
    pass


class OtherEngineError(StoreError):
    """The file is another engine's database."""


class DatabaseLockedError(StoreError):
    """Another process holds the file locked for longer than we wait."""


class DiskFullError(StoreError):
    """The disk (or the database's page limit) is full; the transaction was rolled back."""


_UNTOUCHED = "the file is left untouched"

_META_DDL = (
    "CREATE TABLE IF NOT EXISTS wc_schema (engine TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

_durable_default: ContextVar[bool] = ContextVar("workflow_canvas_durable_writes", default=False)


@contextmanager
def durable_writes(on: bool = True) -> Iterator[None]:
    """Within this block, every Store opened without `durable=` uses synchronous=FULL.

    This is how a `--durable` command-line switch reaches the stores that workloads open deep
    inside a run, without each layer passing a flag along.
    """
    token = _durable_default.set(on)
    try:
        yield
    finally:
        _durable_default.reset(token)


def _is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _is_full(exc: sqlite3.Error) -> bool:
    return "full" in str(exc)


def _check_header(path: Path) -> None:
    """Refuse what is not an SQLite file by its first 16 bytes, before SQLite opens it."""
    if not path.exists():
        return
    if not path.is_file():  # a FIFO would block the open below (and SQLite's) for ever
        raise StoreError(f"{path}: not a regular file; a database is a file")
    if path.stat().st_size == 0:
        return
    with path.open("rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if head != SQLITE_HEADER:
        raise NotADatabaseError(f"{path}: not an SQLite database ({_UNTOUCHED})")


def _engine_names(rows: list[str]) -> list[str]:
    return [e for e in ENGINES if e in rows]


class Store:
    """An open database with explicit transactions and per-engine schema versions.

    `owner`: the engine that will use the file (one of `ENGINES`); another engine's file is
    refused at open, before anything is written. `durable`: synchronous=FULL instead of NORMAL
    (None: the `durable_writes()` setting). `create=False`: a missing file is an error, not a new
    database. `timeout`: how long to wait for another process's lock, in seconds.
    """

    def __init__(self, path: str | Path = MEMORY, *, timeout: float = 10.0, owner: str | None = None,
                 durable: bool | None = None, create: bool = True) -> None:
        self.path = str(path)
        self.timeout = timeout
        self.owner = owner
        self.durable = _durable_default.get() if durable is None else durable
        if owner is not None and owner not in ENGINES:
            raise ValueError(f"owner must be one of {', '.join(ENGINES)}, not {owner!r}")
        if self.path != MEMORY:
            p = Path(self.path)
            if p.is_dir():
                raise StoreError(f"{p}: is a directory, not a database file")
            if not create and not p.exists():
                raise StoreError(f"{p}: no such database")
            _check_header(p)
            if not p.parent.exists():
                p.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._needs_setup = False
        try:
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            needs_setup = self._check_before_writing()  # reads only
            if self.path != MEMORY:
                self._enter_wal(timeout)
            self.conn.execute(f"PRAGMA synchronous = {'FULL' if self.durable else 'NORMAL'}")
            # The store's own tables and marks are written with the first transaction, not here: a
            # file that a later check refuses (another engine's, found by ensure_schema) stays as it was.
            self._needs_setup = needs_setup
        except sqlite3.Error as exc:
            self._close_quietly()
            raise self._translate(exc, "open") from None
        except UnicodeDecodeError:  # quick_check's report, or the schema, quotes a damaged name
            self._close_quietly()
            raise CorruptDatabaseError(f"{self.path}: the database is damaged (its schema is not UTF-8 text); "
                                       f"{_UNTOUCHED}") from None
        except BaseException:
            self._close_quietly()
            raise

    # --- the checks, before any write ----------------------------------------------------------
    def _check_before_writing(self) -> bool:
        """Refuse a file we must not write to; True if the store's own tables need writing."""
        check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise CorruptDatabaseError(f"{self.path}: the database is damaged ({check}); {_UNTOUCHED}")
        app_id = int(self.conn.execute("PRAGMA application_id").fetchone()[0])
        fmt = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = app_id == APPLICATION_ID
        earlier = app_id == 0 and "wc_schema" in tables  # made by a version before application_id
        if not ours and not earlier:
            if app_id != 0:
                raise NotADatabaseError(f"{self.path}: an SQLite database of another program (application_id "
                                        f"0x{app_id & 0xFFFFFFFF:08x}), not a workflow-canvas database; {_UNTOUCHED}")
            user_tables = sorted(t for t in tables if not t.startswith("sqlite_"))
            if user_tables:
                shown = ", ".join(user_tables[:3]) + (", …" if len(user_tables) > 3 else "")
                raise NotADatabaseError(f"{self.path}: an SQLite database of another program (tables: {shown}), "
                                        f"not a workflow-canvas database; {_UNTOUCHED}")
            return True  # an empty SQLite file: a new database
        if fmt > STORE_FORMAT:
            raise SchemaVersionError(f"{self.path}: store format {fmt} is newer than this program understands "
                                     f"({STORE_FORMAT}); upgrade workflow-canvas or use another --db file; {_UNTOUCHED}")
        if "wc_schema" in tables and self.owner is not None:
            self._refuse_other_engine(self.owner)
        return not ours or fmt != STORE_FORMAT or not {"wc_schema", "wc_meta"} <= tables

    def _owners(self) -> list[str]:
        if self._needs_setup and not self._has_table("wc_schema"):
            return []
        rows = [r[0] for r in self.conn.execute("SELECT engine FROM wc_schema")]
        return _engine_names(rows)

    def _refuse_other_engine(self, engine: str) -> None:
        others = [e for e in self._owners() if e != engine]
        if others:
            raise OtherEngineError(f"{self.path}: this is the {others[0]} engine's database (it holds {others[0]} "
                                   f"tables); the {engine} engine cannot use it, pass another --db file; {_UNTOUCHED}")

    def _set_up(self, conn: sqlite3.Connection) -> None:
        """Create the store's own tables and mark the file as ours (migrating an earlier file),
        inside the first write transaction."""
        for stmt in _META_DDL:
            conn.execute(stmt)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {STORE_FORMAT}")

    def _has_table(self, name: str) -> bool:
        return self.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)) is not None

    def _enter_wal(self, timeout: float) -> None:
        """Switch a file to WAL, waiting (up to `timeout`) while another process holds it.

        SQLite does not call the busy handler for this switch, so two processes opening a new file
        at once would otherwise see "database is locked" at once. This is wall-clock I/O waiting,
        not engine time: no virtual clock is involved. A file already in WAL mode is not written.
        """
        if str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    def _translate(self, exc: sqlite3.Error, doing: str) -> StoreError:
        """An sqlite3 error as a one-line StoreError naming the file."""
        if _is_locked(exc):
            return DatabaseLockedError(f"{self.path}: another process holds a lock on the database (waited "
                                       f"{self.timeout:g} s); nothing was written")
        if _is_full(exc):
            return DiskFullError(f"{self.path}: the disk is full ({exc}); the transaction was rolled back, "
                                 f"nothing was written")
        if "unable to open" in str(exc) or "readonly" in str(exc):
            return StoreError(f"{self.path}: cannot {doing} the database ({exc})")
        if doing == "open":
            return CorruptDatabaseError(f"{self.path}: cannot be read as a database ({exc}); {_UNTOUCHED}")
        return CorruptDatabaseError(f"{self.path}: the database failed while {doing} ({exc})")

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
        A lock held too long by another process, or a full disk, becomes a StoreError after the
        rollback.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._translate(exc, "begin a transaction on") from None
            self._depth = 1
            try:
                if self._needs_setup:
                    self._set_up(self.conn)
                yield self.conn
                self.conn.execute("COMMIT")
                self._needs_setup = False
            except BaseException as exc:
                self._depth = 0
                self._rollback_quietly()
                if isinstance(exc, sqlite3.OperationalError) and (_is_full(exc) or _is_locked(exc)):
                    raise self._translate(exc, "writing") from None
                if type(exc) is sqlite3.DatabaseError:
                    raise CorruptDatabaseError(f"{self.path}: the database is damaged ({exc}); the "
                                               f"transaction was rolled back") from None
                raise
            self._depth = 0

    def _rollback_quietly(self) -> None:
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite already rolled back (it may, after SQLITE_FULL)

    @contextmanager
    def _faults(self, doing: str) -> Iterator[None]:
        """Damage found by a read (past what quick_check sees), a lock held too long or a full disk,
        as a StoreError; the other sqlite3 errors (a constraint, a bad statement) are the caller's."""
        try:
            yield
        except UnicodeDecodeError as exc:  # a stored text that is no longer UTF-8: a flipped bit
            raise CorruptDatabaseError(f"{self.path}: the database is damaged (a stored text is not UTF-8: "
                                       f"byte 0x{exc.object[exc.start]:02x})") from None
        except sqlite3.OperationalError as exc:
            if _is_full(exc) or _is_locked(exc):
                raise self._translate(exc, doing) from None
            if "decode" in str(exc):
                raise CorruptDatabaseError(f"{self.path}: the database is damaged ({exc})") from None
            raise
        except sqlite3.DatabaseError as exc:
            if type(exc) is sqlite3.DatabaseError:  # "database disk image is malformed" and its kin
                raise CorruptDatabaseError(f"{self.path}: the database is damaged ({exc})") from None
            raise

    def execute(self, sql: str, params: tuple | Mapping = ()) -> sqlite3.Cursor:
        with self._lock, self._faults("writing"):
            return self.conn.execute(sql, params)

    def query(self, sql: str, params: tuple | Mapping = ()) -> list[sqlite3.Row]:
        with self._lock, self._faults("reading"):
            return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | Mapping = ()) -> sqlite3.Row | None:
        with self._lock, self._faults("reading"):
            return self.conn.execute(sql, params).fetchone()

    # --- schema -------------------------------------------------------------------------------
    def schema_version(self, engine: str) -> int | None:
        if self._needs_setup and not self._has_table("wc_schema"):
            return None  # a new file, before its first write
        row = self.one("SELECT version FROM wc_schema WHERE engine = ?", (engine,))
        return None if row is None else int(row[0])

    def ensure_schema(self, engine: str, version: int, ddl: str, migrations: Mapping[int, Migration] | None = None) -> None:
        """Create `engine`'s tables on first use; refuse a version this code does not know.

        `migrations[v]` upgrades a file from version v-1 to v. The version is read again after the
        write lock is taken: two processes opening a new file at the same moment both see "no
        tables", and only the first to get the lock may create them (the other finds them made).
        An engine of `ENGINES` is refused another engine's file before anything is written.
        """
        with self._closed_if_refused():
            if engine in ENGINES:
                self._refuse_other_engine(engine)
            found = self.schema_version(engine)
            if found == version:
                return  # the common case, without taking the write lock
            self._refuse_newer(engine, found, version)
            self._create_or_migrate(engine, version, ddl, migrations)

    @contextmanager
    def _closed_if_refused(self) -> Iterator[None]:
        """A file refused by a check is let go at once: its connection closes, so no -wal or -shm
        file stays beside it, even if the caller never closes the store (which is unusable then)."""
        try:
            yield
        except (OtherEngineError, SchemaVersionError):
            self.close()
            raise

    def _create_or_migrate(self, engine: str, version: int, ddl: str, migrations: Mapping[int, Migration] | None) -> None:
        with self.transaction() as conn:
            if engine in ENGINES:
                self._refuse_other_engine(engine)
            found = self.schema_version(engine)
            if found == version:
                return
            self._refuse_newer(engine, found, version)
            if found is None:
                for stmt in _statements(ddl):
                    conn.execute(stmt)
            else:
                for v in range(found + 1, version + 1):
                    step = migrations.get(v) if migrations else None
                    if step is None:
                        raise SchemaVersionError(
                            f"{self.path}: the {engine} tables have schema version {found} and no "
                            f"upgrade to {version} is known; use another --db file"
                        )
                    if callable(step):
                        step(conn)
                    else:
                        for stmt in _statements(step):
                            conn.execute(stmt)
            conn.execute("INSERT OR REPLACE INTO wc_schema (engine, version) VALUES (?, ?)", (engine, version))

    def check_schema(self, engine: str, version: int) -> None:
        """Refuse (reading only) a file whose `engine` tables are newer than `version`, or that is
        another engine's; for a command to check a file before handing it to code that writes."""
        with self._closed_if_refused():
            if engine in ENGINES:
                self._refuse_other_engine(engine)
            self._refuse_newer(engine, self.schema_version(engine), version)

    def _refuse_newer(self, engine: str, found: int | None, version: int) -> None:
        if found is not None and found > version:
            raise SchemaVersionError(
                f"{self.path}: the {engine} tables have schema version {found}, newer than this "
                f"program understands ({version}); upgrade workflow-canvas or use another --db file; {_UNTOUCHED}"
            )

    # --- a small key/value table (e.g. an engine's persisted virtual time) --------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        if self._needs_setup and not self._has_table("wc_meta"):
            return default
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
               migrations: Mapping[int, Migration] | None = None, *, owner: str | None = None,
               durable: bool | None = None, timeout: float = 10.0) -> Store:
    """Open (or create) a database and make sure `engine`'s tables are at `version`.

    An `engine` of `ENGINES` is also the file's owner, checked at open before anything is written.
    """
    if owner is None and engine in ENGINES:
        owner = engine
    store = Store(path, owner=owner, durable=durable, timeout=timeout)
    if engine is not None and version is not None:
        try:
            store.ensure_schema(engine, version, ddl, migrations)
        except BaseException:
            store.close()
            raise
    return store
