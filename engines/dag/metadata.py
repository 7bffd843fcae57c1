"""The metadata database: DAG versions, DAG runs, task instances (and their past tries), task
reschedules and XCom, in SQLite through engines.store.

This is what lets a restarted scheduler continue: everything it knows is here, plus the
virtual time it had reached. Writes are batched per scheduling pass (one transaction), the way
Airflow's scheduler commits once per loop.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from engines.clock import as_utc
from engines.dag.models import DagRun, TaskInstance
from engines.dag.run_type import DagRunType
from engines.dag.states import DagRunState, TaskInstanceState
from engines.store import Store, open_store

ENGINE = "dag"
#: 2: map_index on task instances, their history, reschedules and XCom (dynamic task mapping);
#: XCom values in Airflow's serde form (xcom.py).
SCHEMA_VERSION = 2
DDL = """
CREATE TABLE dag_version (
    dag_id TEXT NOT NULL, version_number INTEGER NOT NULL, hash TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (dag_id, version_number)
);
CREATE TABLE dag_schedule (dag_id TEXT PRIMARY KEY, last_run_after TEXT, next_run_after TEXT);
CREATE TABLE dag_run (
    run_id TEXT PRIMARY KEY, dag_id TEXT NOT NULL, run_type TEXT NOT NULL, state TEXT NOT NULL,
    logical_date TEXT NOT NULL, start_date TEXT, end_date TEXT, dag_version INTEGER NOT NULL,
    conf TEXT NOT NULL DEFAULT '{}', note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE task_instance (
    run_id TEXT NOT NULL REFERENCES dag_run(run_id), task_id TEXT NOT NULL, state TEXT NOT NULL,
    try_number INTEGER NOT NULL, max_tries INTEGER NOT NULL, start_date TEXT, end_date TEXT,
    slot_seconds REAL NOT NULL DEFAULT 0, next_at TEXT, sensor_started TEXT, pokes INTEGER NOT NULL DEFAULT 0,
    pool TEXT NOT NULL, dag_version INTEGER NOT NULL, map_index INTEGER NOT NULL DEFAULT -1,
    next_method TEXT, trigger_timeout TEXT,
    PRIMARY KEY (run_id, task_id, map_index)
);
CREATE TABLE task_instance_history (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL, state TEXT NOT NULL,
    start_date TEXT, end_date TEXT, slot_seconds REAL NOT NULL, pokes INTEGER NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (run_id, task_id, map_index, try_number)
);
CREATE TABLE task_reschedule (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL,
    start_date TEXT NOT NULL, reschedule_date TEXT NOT NULL, map_index INTEGER NOT NULL DEFAULT -1
);
CREATE TABLE xcom (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (run_id, task_id, map_index, key)
);
"""
#: From schema 1: the tables whose primary key gains map_index are rebuilt (SQLite cannot alter a
#: primary key); every row keeps its values with map_index -1. Version-1 XCom values were plain
#: JSON, which the serde reader reads as they are.
MIGRATIONS = {2: """
ALTER TABLE task_instance RENAME TO task_instance_v1;
CREATE TABLE task_instance (
    run_id TEXT NOT NULL REFERENCES dag_run(run_id), task_id TEXT NOT NULL, state TEXT NOT NULL,
    try_number INTEGER NOT NULL, max_tries INTEGER NOT NULL, start_date TEXT, end_date TEXT,
    slot_seconds REAL NOT NULL DEFAULT 0, next_at TEXT, sensor_started TEXT, pokes INTEGER NOT NULL DEFAULT 0,
    pool TEXT NOT NULL, dag_version INTEGER NOT NULL, map_index INTEGER NOT NULL DEFAULT -1,
    next_method TEXT, trigger_timeout TEXT,
    PRIMARY KEY (run_id, task_id, map_index)
);
INSERT INTO task_instance SELECT *, -1, NULL, NULL FROM task_instance_v1;
DROP TABLE task_instance_v1;
ALTER TABLE task_instance_history RENAME TO task_instance_history_v1;
CREATE TABLE task_instance_history (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL, state TEXT NOT NULL,
    start_date TEXT, end_date TEXT, slot_seconds REAL NOT NULL, pokes INTEGER NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (run_id, task_id, map_index, try_number)
);
INSERT INTO task_instance_history SELECT *, -1 FROM task_instance_history_v1;
DROP TABLE task_instance_history_v1;
ALTER TABLE task_reschedule ADD COLUMN map_index INTEGER NOT NULL DEFAULT -1;
ALTER TABLE xcom RENAME TO xcom_v1;
CREATE TABLE xcom (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (run_id, task_id, map_index, key)
);
INSERT INTO xcom SELECT *, -1 FROM xcom_v1;
DROP TABLE xcom_v1;
"""}
NOW_KEY = "dag.virtual_now"
#: Airflow's DagModel.is_paused, one wc_meta key per DAG ("1" paused, "0" not): kept beside the
#: virtual time rather than in a new table, so a file's schema version does not change.
PAUSED_KEY = "dag.is_paused."

TI_COLUMNS = ("run_id", "task_id", "state", "try_number", "max_tries", "start_date", "end_date", "slot_seconds",
              "next_at", "sensor_started", "pokes", "pool", "dag_version", "map_index",
              "next_method", "trigger_timeout")


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def dt(text: str | None) -> datetime | None:
    return None if text is None else as_utc(datetime.fromisoformat(text))


class MetadataDB:
    """Thin, typed access to the engine's tables; the scheduler owns the in-memory model."""

    def __init__(self, db: str | Path | Store = ":memory:") -> None:
        if isinstance(db, Store):
            self.store = db
            db.ensure_schema(ENGINE, SCHEMA_VERSION, DDL, MIGRATIONS)
        else:
            self.store = open_store(db, ENGINE, SCHEMA_VERSION, DDL, MIGRATIONS)
        self._c = self.store.conn

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One scheduling pass's writes commit together (or not at all)."""
        return self.store.transaction()

    # --- versions and schedules ---------------------------------------------------------------
    def dag_versions(self, dag_id: str) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self.store.query(
            "SELECT version_number, hash FROM dag_version WHERE dag_id = ? ORDER BY version_number", (dag_id,))]

    def add_dag_version(self, dag_id: str, number: int, hash_: str, at: datetime) -> None:
        self._c.execute("INSERT INTO dag_version VALUES (?, ?, ?, ?)", (dag_id, number, hash_, iso(at)))

    def schedule_of(self, dag_id: str) -> datetime | None:
        row = self.store.one("SELECT last_run_after FROM dag_schedule WHERE dag_id = ?", (dag_id,))
        return None if row is None else dt(row[0])

    def set_schedule(self, dag_id: str, last: datetime | None, next_: datetime | None) -> None:
        self._c.execute("INSERT OR REPLACE INTO dag_schedule VALUES (?, ?, ?)", (dag_id, iso(last), iso(next_)))

    def is_paused(self, dag_id: str) -> bool | None:
        """The DAG's is_paused flag on file (None: never set, the DAG is new to this file)."""
        value = self.store.get_meta(PAUSED_KEY + dag_id)
        return None if value is None else value == "1"

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.store.set_meta(PAUSED_KEY + dag_id, "1" if paused else "0")

    # --- runs and task instances --------------------------------------------------------------
    def save_run(self, run: DagRun) -> None:
        # an upsert, not INSERT OR REPLACE: a replace deletes the row first, and with foreign keys on
        # that looks at every task instance of the run (a commit per state change made it quadratic)
        self._c.execute(
            "INSERT INTO dag_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
            "dag_id = excluded.dag_id, run_type = excluded.run_type, state = excluded.state, "
            "logical_date = excluded.logical_date, start_date = excluded.start_date, end_date = excluded.end_date, "
            "dag_version = excluded.dag_version, conf = excluded.conf, note = excluded.note",
            (run.run_id, run.dag_id, run.run_type, run.state, iso(run.logical_date), iso(run.start_date),
             iso(run.end_date), run.dag_version, json.dumps(run.conf), run.note))

    def save_tis(self, tis: Iterable[TaskInstance]) -> None:
        self._c.executemany(
            f"INSERT OR REPLACE INTO task_instance ({', '.join(TI_COLUMNS)}) VALUES ({', '.join('?' * len(TI_COLUMNS))})",
            [(t.run_id, t.task_id, t.state, t.try_number, t.max_tries, iso(t.start_date), iso(t.end_date),
              t.slot_seconds, iso(t.next_at), iso(t.sensor_started), t.pokes, t.pool, t.dag_version, t.map_index,
              t.next_method, iso(t.trigger_timeout)) for t in tis])

    def delete_ti(self, run_id: str, task_id: str, map_index: int) -> None:
        self._c.execute("DELETE FROM task_instance WHERE run_id = ? AND task_id = ? AND map_index = ?",
                        (run_id, task_id, map_index))

    def add_history(self, rows: list[tuple[Any, ...]]) -> None:
        self._c.executemany("INSERT OR REPLACE INTO task_instance_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add_reschedule(self, run_id: str, task_id: str, try_number: int, start: datetime, reschedule_date: datetime,
                       map_index: int = -1) -> None:
        self._c.execute("INSERT INTO task_reschedule (run_id, task_id, try_number, start_date, reschedule_date, "
                        "map_index) VALUES (?, ?, ?, ?, ?, ?)",
                        (run_id, task_id, try_number, iso(start), iso(reschedule_date), map_index))

    def reschedule_count(self, run_id: str | None = None) -> int:
        """How many times sensors (of one run, or of all) gave their slot back."""
        if run_id is None:
            row = self.store.one("SELECT COUNT(*) FROM task_reschedule")
        else:
            row = self.store.one("SELECT COUNT(*) FROM task_reschedule WHERE run_id = ?", (run_id,))
        return 0 if row is None else int(row[0])

    def runs(self) -> list[dict[str, Any]]:
        out = []
        for r in self.store.query("SELECT * FROM dag_run ORDER BY logical_date, run_id"):
            d = dict(r)
            for k in ("logical_date", "start_date", "end_date"):
                d[k] = dt(d[k])
            d["conf"] = json.loads(d["conf"])
            d["state"], d["run_type"] = DagRunState(d["state"]), DagRunType(d["run_type"])
            out.append(d)
        return out

    def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        out = []
        for r in self.store.query("SELECT * FROM task_instance WHERE run_id = ?", (run_id,)):
            d = dict(r)
            for k in ("start_date", "end_date", "next_at", "sensor_started", "trigger_timeout"):
                d[k] = dt(d[k])
            d["state"] = TaskInstanceState(d["state"])
            out.append(d)
        return out

    def history(self, run_id: str) -> list[dict[str, Any]]:
        out = []
        for r in self.store.query("SELECT * FROM task_instance_history WHERE run_id = ? ORDER BY rowid", (run_id,)):
            d = dict(r)
            d["start_date"], d["end_date"] = dt(d["start_date"]), dt(d["end_date"])
            d["state"] = TaskInstanceState(d["state"])
            out.append(d)
        return out

    # --- XCom ---------------------------------------------------------------------------------
    def set_xcom(self, run_id: str, task_id: str, key: str, value_json: str, map_index: int = -1) -> None:
        self._c.execute("INSERT OR REPLACE INTO xcom VALUES (?, ?, ?, ?, ?)", (run_id, task_id, key, value_json, map_index))

    def xcoms(self, run_id: str) -> dict[tuple[str, int, str], str]:
        """A run's XComs as stored (serde JSON text), by (task_id, map_index, key)."""
        return {(r[0], r[1], r[2]): r[3] for r in self.store.query(
            "SELECT task_id, map_index, key, value FROM xcom WHERE run_id = ? ORDER BY map_index", (run_id,))}

    # --- virtual time -------------------------------------------------------------------------
    def saved_now(self) -> datetime | None:
        return dt(self.store.get_meta(NOW_KEY))

    def save_now(self, t: datetime) -> None:
        self.store.set_meta(NOW_KEY, t.isoformat())

    def close(self) -> None:
        self.store.close()
