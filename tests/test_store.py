import sqlite3

import pytest

from engines.store import CorruptDatabaseError, NotADatabaseError, SchemaVersionError, StoreError, open_store

DDL = """
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TRIGGER items_no_delete BEFORE DELETE ON items BEGIN SELECT RAISE(ABORT, 'append-only'); END;
"""


def test_creates_schema_and_reopens(tmp_path):
    db = tmp_path / "e.db"
    with open_store(db, "demo", 1, DDL) as s:
        with s.transaction() as c:
            c.execute("INSERT INTO items (name) VALUES ('a')")
        assert s.schema_version("demo") == 1
        assert s.one("PRAGMA journal_mode")[0] == "wal"
    with open_store(db, "demo", 1, DDL) as s:
        assert [r["name"] for r in s.query("SELECT name FROM items")] == ["a"]


def test_transaction_rolls_back_whole(tmp_path):
    with open_store(tmp_path / "e.db", "demo", 1, DDL) as s:
        with pytest.raises(RuntimeError):
            with s.transaction() as c:
                c.execute("INSERT INTO items (name) VALUES ('half')")
                raise RuntimeError("crash mid-step")
        assert s.query("SELECT * FROM items") == []


def test_newer_schema_is_refused_and_file_kept(tmp_path):
    db = tmp_path / "e.db"
    with open_store(db, "demo", 3, DDL) as s:
        with s.transaction() as c:
            c.execute("INSERT INTO items (name) VALUES ('keep me')")
    before = db.read_bytes()
    with pytest.raises(SchemaVersionError, match="newer"):
        open_store(db, "demo", 2, DDL)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT name FROM items").fetchall() == [("keep me",)]
    assert db.read_bytes() == before


def test_older_schema_without_migration_is_refused(tmp_path):
    db = tmp_path / "e.db"
    open_store(db, "demo", 1, DDL).close()
    with pytest.raises(SchemaVersionError, match="no upgrade"):
        open_store(db, "demo", 2, DDL)
    with open_store(db, "demo", 2, DDL, migrations={2: "ALTER TABLE items ADD COLUMN qty INTEGER"}) as s:
        assert s.schema_version("demo") == 2


def test_non_sqlite_file_gets_clear_error_and_is_untouched(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n")
    before = db.read_bytes()
    with pytest.raises(NotADatabaseError, match="not an SQLite database"):
        open_store(db, "demo", 1, DDL)
    assert db.read_bytes() == before


def test_corrupt_file_gets_clear_error_and_is_untouched(tmp_path):
    db = tmp_path / "e.db"
    with open_store(db, "demo", 1, DDL) as s:
        with s.transaction() as c:
            c.executemany("INSERT INTO items (name) VALUES (?)", [(f"row {i}" * 50,) for i in range(500)])
        s.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = bytearray(db.read_bytes())
    raw[100:4096 * 3] = b"\xff" * (4096 * 3 - 100)  # keep the header, smash the pages after it
    db.write_bytes(bytes(raw))
    before = db.read_bytes()
    with pytest.raises(CorruptDatabaseError) as info:
        open_store(db, "demo", 1, DDL)
    assert str(db) in str(info.value)
    assert isinstance(info.value, StoreError)
    assert db.read_bytes() == before


def test_directory_is_refused(tmp_path):
    with pytest.raises(StoreError, match="directory"):
        open_store(tmp_path, "demo", 1, DDL)


def test_processes_opening_a_new_file_at_the_same_moment_all_succeed(tmp_path):
    """The start race: every process read "no tables" before any wrote; only one may create them.

    Real OS processes, released together at one wall-clock instant, each opening the same new file
    with a DDL that is not `IF NOT EXISTS` (as `svc_ledger`'s was when two `replay worker`s raced).
    """
    import subprocess
    import sys
    import time
    from pathlib import Path

    path = tmp_path / "new.db"
    start_at = time.time() + 2.0
    child = (
        "import sys, time\n"
        "from engines.store import open_store\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "for engine in 'abcdefgh':\n"
        "    open_store(sys.argv[1], engine, 1, f'CREATE TABLE {engine}_items (id INTEGER PRIMARY KEY);').close()\n"
    )
    root = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", child, str(path), str(start_at)], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0] * 6, [err.strip().splitlines()[-1:] for _, err in results]
    with open_store(path) as store:
        assert [store.schema_version(e) for e in "abcdefgh"] == [1] * 8


# --- issue 17: every check before any write; faults give one clear line ------------------------------
import hashlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from engines.store import (  # noqa: E402
    APPLICATION_ID,
    STORE_FORMAT,
    DatabaseLockedError,
    DiskFullError,
    OtherEngineError,
    Store,
    durable_writes,
)

ROOT = Path(__file__).resolve().parents[1]
REPLAY_DDL = "CREATE TABLE r_items (id INTEGER PRIMARY KEY);"
DAG_DDL = "CREATE TABLE d_items (id INTEGER PRIMARY KEY);"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_untouched(path: Path, before: str) -> None:
    assert _digest(path) == before
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    assert not Path(f"{path}-journal").exists()


def _refused(path: Path, error: type, match: str, **open_args) -> str:
    before = _digest(path)
    with pytest.raises(error, match=match) as info:
        open_store(path, **open_args)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    _assert_untouched(path, before)
    return message


def test_a_foreign_sqlite_file_is_refused_before_any_write(tmp_path):
    db = tmp_path / "photos.db"
    with sqlite3.connect(db) as c:  # another program's database, in rollback-journal mode
        c.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, caption TEXT)")
        c.execute("INSERT INTO photos (caption) VALUES ('beach')")
    c.close()
    message = _refused(db, NotADatabaseError, "another program", engine="replay", version=3, ddl=REPLAY_DDL)
    assert "photos" in message
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    c.close()


def test_a_file_with_another_programs_application_id_is_refused(tmp_path):
    db = tmp_path / "other.db"
    c = sqlite3.connect(db)
    c.execute("PRAGMA application_id = 1234")
    c.execute("CREATE TABLE wc_schema (engine TEXT PRIMARY KEY, version INTEGER NOT NULL)")  # even with our table name
    c.commit()
    c.close()
    assert "0x000004d2" in _refused(db, NotADatabaseError, "application_id")


def test_a_newer_store_format_is_refused(tmp_path):
    db = tmp_path / "future.db"
    open_store(db, "replay", 3, REPLAY_DDL).close()
    c = sqlite3.connect(db)
    c.execute(f"PRAGMA user_version = {STORE_FORMAT + 1}")
    c.close()
    _refused(db, SchemaVersionError, "store format .* newer", engine="replay", version=3, ddl=REPLAY_DDL)


def test_a_newer_engine_schema_is_refused_with_no_wal_left(tmp_path):
    db = tmp_path / "newer.db"
    open_store(db, "replay", 4, REPLAY_DDL).close()
    _refused(db, SchemaVersionError, "replay tables have schema version 4, newer", engine="replay", version=3,
             ddl=REPLAY_DDL)


def test_another_engines_database_is_refused_at_open_and_at_ensure_schema(tmp_path):
    db = tmp_path / "dag.db"
    with open_store(db, "dag", 1, DAG_DDL) as s, s.transaction() as c:
        c.execute("INSERT INTO d_items DEFAULT VALUES")
    message = _refused(db, OtherEngineError, "dag engine's database", engine="replay", version=3, ddl=REPLAY_DDL)
    assert "replay engine cannot use it" in message
    _refused(db, OtherEngineError, "dag engine's database", owner="statemachine")
    # a component beside an engine (the services' ledger) may join the dag's file; an engine may not
    with open_store(db) as s:
        s.ensure_schema("services", 1, "CREATE TABLE svc_items (id INTEGER PRIMARY KEY);")
    before = _digest(db)
    s = open_store(db)
    with pytest.raises(OtherEngineError):
        s.ensure_schema("replay", 3, REPLAY_DDL)
    with pytest.raises(sqlite3.ProgrammingError):  # a refused file is let go at once: no -wal/-shm stays
        s.schema_version("replay")
    _assert_untouched(db, before)


def test_a_file_made_before_the_marker_is_migrated_and_kept(tmp_path):
    """Files written by earlier versions have `wc_schema` but no application_id: they are ours."""
    db = tmp_path / "old.db"
    c = sqlite3.connect(db)
    c.execute("PRAGMA journal_mode = WAL")
    c.executescript("CREATE TABLE wc_schema (engine TEXT PRIMARY KEY, version INTEGER NOT NULL);"
                    "CREATE TABLE wc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                    "CREATE TABLE r_items (id INTEGER PRIMARY KEY);"
                    "INSERT INTO wc_schema VALUES ('replay', 3); INSERT INTO r_items VALUES (7);")
    c.close()
    before = _digest(db)
    with pytest.raises(OtherEngineError):  # refused before the migration writes its marks
        open_store(db, "dag", 1, DAG_DDL)
    with open_store(db) as s:
        with pytest.raises(OtherEngineError):
            s.ensure_schema("dag", 1, DAG_DDL)
    _assert_untouched(db, before)
    with open_store(db, "replay", 3, REPLAY_DDL) as s:
        assert [r[0] for r in s.query("SELECT id FROM r_items")] == [7]
        assert s.one("PRAGMA application_id")[0] == 0  # reading marks nothing
        with s.transaction() as c:  # the first write marks the file as ours
            c.execute("INSERT INTO r_items VALUES (8)")
        assert s.one("PRAGMA application_id")[0] == APPLICATION_ID
        assert s.one("PRAGMA user_version")[0] == STORE_FORMAT
    with pytest.raises(OtherEngineError):
        open_store(db, "dag", 1, DAG_DDL)


def test_a_new_file_is_marked_as_ours(tmp_path):
    db = tmp_path / "new.db"
    open_store(db, "statemachine", 2, "CREATE TABLE s_items (id INTEGER PRIMARY KEY);").close()
    head = db.read_bytes()[:100]
    assert int.from_bytes(head[68:72], "big") == APPLICATION_ID  # the header field SQLite documents
    assert int.from_bytes(head[60:64], "big") == STORE_FORMAT


def test_an_empty_file_becomes_a_database(tmp_path):
    db = tmp_path / "empty.db"
    db.touch()
    with open_store(db, "dag", 1, DAG_DDL) as s:
        assert s.schema_version("dag") == 1


def test_corrupt_file_leaves_no_wal_or_shm(tmp_path):
    db = tmp_path / "c.db"
    with open_store(db, "demo", 1, DDL) as s, s.transaction() as c:
        c.executemany("INSERT INTO items (name) VALUES (?)", [("x" * 300,) for _ in range(300)])
    raw = bytearray(db.read_bytes())
    raw[4096 * 2: 4096 * 4] = bytes(range(256)) * 32
    db.write_bytes(bytes(raw))
    _refused(db, CorruptDatabaseError, "damaged|cannot be read", engine="demo", version=1, ddl=DDL)


HOLD_LOCK = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive-mode":
    c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO r_items DEFAULT VALUES")
if sys.argv[2] == "exclusive-mode":
    c.execute("COMMIT")  # in exclusive locking mode the lock stays after the commit
print("holding", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


def _holder(db: Path, mode: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), mode], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding", proc.stderr
    return proc


def _release(proc: subprocess.Popen) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def test_a_write_lock_held_by_another_process_is_a_clear_error_after_a_bounded_wait(tmp_path):
    db = tmp_path / "busy.db"
    open_store(db, "replay", 3, REPLAY_DDL).close()
    proc = _holder(db, "transaction")
    try:
        with open_store(db, "replay", 3, REPLAY_DDL, timeout=0.2) as s:  # reading still works under WAL
            with pytest.raises(DatabaseLockedError, match="another process holds a lock .*0.2 s") as info:
                with s.transaction() as c:
                    c.execute("INSERT INTO r_items (id) VALUES (1000)")
            assert "\n" not in str(info.value)
            with pytest.raises(DatabaseLockedError):
                s.ensure_schema("services", 1, "CREATE TABLE svc_x (id INTEGER PRIMARY KEY);")
    finally:
        _release(proc)
    with open_store(db) as s:  # the holder's uncommitted row is gone, ours was never written
        assert s.query("SELECT id FROM r_items") == [] and s.schema_version("services") is None


def test_an_exclusive_lock_mode_blocks_even_the_open(tmp_path):
    db = tmp_path / "held.db"
    open_store(db, "replay", 3, REPLAY_DDL).close()
    proc = _holder(db, "exclusive-mode")
    try:
        with pytest.raises(DatabaseLockedError, match="another process"):
            open_store(db, "replay", 3, REPLAY_DDL, timeout=0.2)
    finally:
        _release(proc)
    with open_store(db) as s:
        assert len(s.query("SELECT id FROM r_items")) == 1  # the holder's committed row, intact


def test_a_full_database_rolls_back_the_whole_transaction(tmp_path):
    """SQLITE_FULL from a page limit (`PRAGMA max_page_count`): the same error path as a full disk."""
    db = tmp_path / "full.db"
    with open_store(db, "demo", 1, DDL) as s:
        with s.transaction() as c:
            c.execute("INSERT INTO items (name) VALUES ('before')")
        pages = s.one("PRAGMA page_count")[0]
        s.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(DiskFullError, match="full.*rolled back") as info:
            with s.transaction() as c:
                for i in range(2000):
                    c.execute("INSERT INTO items (name) VALUES (?)", (f"row {i} " * 40,))
        assert str(db) in str(info.value) and "\n" not in str(info.value)
        assert [r["name"] for r in s.query("SELECT name FROM items")] == ["before"]
        with s.transaction() as c:  # the store is still usable once there is room
            c.execute("INSERT INTO items (name) VALUES ('after')")
    with open_store(db, "demo", 1, DDL) as s:
        assert [r["name"] for r in s.query("SELECT name FROM items")] == ["before", "after"]


def _tiny_fs(tmp_path: Path) -> Path | None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount)], capture_output=True)
    return mount if done.returncode == 0 else None


def test_a_really_full_disk_is_a_clear_error(tmp_path):
    """A real full file system (a 192 KiB tmpfs), where mounting one is allowed (root in a container)."""
    import os

    if os.geteuid() != 0:
        pytest.skip("mounting a tiny file system needs root")
    mount = _tiny_fs(tmp_path)
    if mount is None:
        pytest.skip("cannot mount a tmpfs here")
    try:
        db = mount / "full.db"
        with open_store(db, "demo", 1, DDL) as s:
            with s.transaction() as c:
                c.execute("INSERT INTO items (name) VALUES ('before')")
            with pytest.raises(DiskFullError, match="disk is full"):
                with s.transaction() as c:
                    for i in range(5000):
                        c.execute("INSERT INTO items (name) VALUES (?)", (f"row {i} " * 40,))
            assert [r["name"] for r in s.query("SELECT name FROM items")] == ["before"]
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_durable_means_synchronous_full(tmp_path):
    with open_store(tmp_path / "a.db", "demo", 1, DDL) as s:
        assert s.one("PRAGMA synchronous")[0] == 1 and not s.durable  # NORMAL
    with open_store(tmp_path / "b.db", "demo", 1, DDL, durable=True) as s:
        assert s.one("PRAGMA synchronous")[0] == 2 and s.durable  # FULL
    with durable_writes():
        with Store(tmp_path / "c.db") as s:
            assert s.one("PRAGMA synchronous")[0] == 2
        with Store(tmp_path / "d.db", durable=False) as s:
            assert s.one("PRAGMA synchronous")[0] == 1
    with Store(tmp_path / "e.db") as s:
        assert s.one("PRAGMA synchronous")[0] == 1


def test_the_durable_switch_reaches_every_store_a_command_opens(tmp_path):
    """`--durable` on any command with --db (app/cli/common.py), in force while its handler runs."""
    from app.cli.common import run_handler
    from app.cli.main import build_parser

    seen = []

    def handler(args):
        with Store(tmp_path / "x.db") as s:  # opened deep inside, by code that knows nothing of the flag
            seen.append(s.one("PRAGMA synchronous")[0])
        return 0

    parser = build_parser()
    for argv in (["replay", "list", "--durable"], ["ledger", "--durable"], ["replay", "list"]):
        assert run_handler(handler, parser.parse_args(argv)) == 0
    assert seen == [2, 2, 1]  # FULL, FULL, then NORMAL again


def test_check_db_refuses_another_engines_file_before_the_command_writes(tmp_path):
    from app.cli.common import check_db

    db = tmp_path / "replay.db"
    open_store(db, "replay", 3, REPLAY_DDL).close()
    before = _digest(db)
    with pytest.raises(OtherEngineError, match="replay engine's database"):
        check_db(db, "dag", 2)
    check_db(db, "replay", 3)
    with pytest.raises(SchemaVersionError, match="newer"):
        check_db(db, "replay", 2)
    check_db(tmp_path / "missing.db", "dag")  # a new file is the command's to create
    assert not (tmp_path / "missing.db").exists()
    _assert_untouched(db, before)
