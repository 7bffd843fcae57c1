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
