"""Every command that takes --db, handed every kind of database file it must refuse.

The files are made by the real commands (`replay start`, `dag test`, `asl run`), then damaged or
changed the way issue 17 found them written to: corrupt pages, a newer schema, a newer store
format, another engine's file, a foreign SQLite file, a file that is not SQLite at all. Each
command must refuse each one with a clear line and leave it byte for byte as it was, with no
-wal, -shm or -journal file left beside it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.fuzz.harness import Driver, sha256

CORPUS = Path(__file__).with_name("corpus")

COMMANDS = {
    "replay start": "replay start order --id o2 --db {db}",
    "replay worker": "replay worker --until-idle --skip-time --quiet --db {db}",
    "replay show": "replay show o1 --db {db}",
    "replay list": "replay list --db {db}",
    "replay signal": "replay signal o1 cancelOrder --db {db}",
    "asl run": "asl run {dir}/good.json --db {db}",
    "dag test": "dag test order_1001 --db {db}",
    "dag test sick-payment": "dag test order_1001 --scenario sick-payment --db {db}",
    "dag test nightly_etl": "dag test nightly_etl --db {db}",
    "ledger": "ledger --db {db}",
}
ENGINE_OF = {"replay": "replay", "asl": "statemachine", "dag": "dag", "ledger": None}
KINDS = ("corrupt", "newer-schema", "newer-format", "foreign-sqlite", "foreign-app-id", "not-sqlite",
         "truncated-header", "replay-db", "dag-db", "statemachine-db")

#: Known failures at the time of writing: (command, kind) -> "owner: … — what happens".
#: Cases that fail today, each with its owner: a strict xfail flips to a failure when fixed, so it is removed then.
KNOWN: dict[tuple[str, str], str] = {}


def _expect(command: str, kind: str) -> str | None:
    """What the command must do with this kind of file; None: the file is its own (not a case)."""
    engine = ENGINE_OF[command.split()[0]]
    if kind.endswith("-db"):
        owner = kind.removesuffix("-db")
        if engine is None:
            return "either"  # any engine's file holds the services' ledger
        return None if owner == engine else "error"
    return "error"


@pytest.fixture(scope="module")
def made(driver: Driver, tmp_path_factory) -> dict[str, Path]:
    """One real database per engine, made by the commands themselves."""
    d = tmp_path_factory.mktemp("made")
    (d / "good.json").write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}))
    runs = {"replay": f"replay start order --id o1 --db {d}/replay.db",
            "dag": f"dag test order_1001 --db {d}/dag.db",
            "statemachine": f"asl run {d}/good.json --db {d}/statemachine.db"}
    for name, argv in runs.items():
        result = driver.run(argv.split(), cwd=d)
        if result.code != 0:  # the command is broken for another reason: make its tables directly
            _tables_of(name, d / f"{name}.db")
    return {name: d / f"{name}.db" for name in runs}


def _tables_of(engine: str, path: Path) -> None:
    """An engine's own tables plus the services', as the engine's code creates them."""
    import importlib

    from engines.clock import VirtualClock
    from engines.store import open_store
    from workloads.services import Services

    module = importlib.import_module({"dag": "engines.dag.metadata", "replay": "engines.replay.tables",
                                      "statemachine": "engines.statemachine.tables"}[engine])
    path.unlink(missing_ok=True)
    with open_store(path, module.ENGINE, module.SCHEMA_VERSION, module.DDL) as store:
        Services(store, VirtualClock()).charge_card("1001", 4200, "order-1001-charge")


def _make(kind: str, made: dict[str, Path], dest: Path, engine: str | None) -> Path:
    db = dest / f"{kind}.db"
    base = made[engine or "replay"]
    if kind.endswith("-db"):
        shutil.copy(made[kind.removesuffix("-db")], db)
    elif kind == "corrupt":
        raw = bytearray(base.read_bytes())
        page = int.from_bytes(raw[16:18], "big") or 65536
        raw[page: page * 3] = bytes(range(256)) * (page * 2 // 256)  # pages 2 and 3 smashed, header kept
        db.write_bytes(bytes(raw))
    elif kind in ("newer-schema", "newer-format"):
        shutil.copy(base, db)
        c = sqlite3.connect(db)
        if kind == "newer-schema":
            c.execute("UPDATE wc_schema SET version = 99 WHERE engine = ?", (engine or "services",))
        else:
            c.execute("PRAGMA user_version = 99")
        c.commit()
        c.close()
    elif kind.startswith("foreign"):
        c = sqlite3.connect(db)
        if kind == "foreign-app-id":
            c.execute("PRAGMA application_id = 1179537230")
        c.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, caption TEXT)")
        c.execute("INSERT INTO photos (caption) VALUES ('beach')")
        c.commit()
        c.close()
    else:
        shutil.copy(CORPUS / {"not-sqlite": "db-not-sqlite.db", "truncated-header": "db-truncated-header.db"}[kind], db)
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{db}{suffix}").exists()
    return db


CASES = [(command, kind) for command in COMMANDS for kind in KINDS if _expect(command, kind) is not None]


@pytest.mark.parametrize("command, kind", [
    pytest.param(c, k, id=f"{c} <- {k}", marks=[pytest.mark.xfail(strict=True, reason=KNOWN[(c, k)])]
                 if (c, k) in KNOWN else []) for c, k in CASES])
def test_a_database_it_must_refuse_is_refused_and_untouched(driver: Driver, made, tmp_path, command: str, kind: str):
    engine = ENGINE_OF[command.split()[0]]
    db = _make(kind, made, tmp_path, engine)
    shutil.copy(made["replay"].with_name("good.json"), tmp_path / "good.json")
    before = sha256(db)
    argv = COMMANDS[command].format(db=db, dir=tmp_path).split()
    result = driver.run(argv, cwd=tmp_path, inputs=[db])
    assert result.problems(_expect(command, kind) or "error") == [], result.stderr[-600:]
    assert sha256(db) == before


def test_a_file_made_before_the_marker_is_still_read(driver: Driver, made, tmp_path):
    """A replay database written by an earlier version (no application_id) keeps working, and is
    still refused, untouched, to another engine."""
    db = tmp_path / "old.db"
    shutil.copy(made["replay"], db)
    c = sqlite3.connect(db)
    c.execute("PRAGMA application_id = 0")
    c.execute("PRAGMA user_version = 0")
    c.commit()
    c.close()
    result = driver.run(["replay", "show", "o1", "--db", str(db)], cwd=tmp_path)
    assert result.code == 0 and "o1" in result.stdout, result.stderr
    shutil.copy(made["replay"].with_name("good.json"), tmp_path / "good.json")
    result = driver.run(["asl", "run", str(tmp_path / "good.json"), "--db", str(db)], cwd=tmp_path, inputs=[db])
    assert result.problems("error") == [] and "replay engine's database" in result.stderr
