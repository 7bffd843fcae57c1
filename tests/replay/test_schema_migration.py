"""Schema v3 adds the indexes the hot queries lacked; a database file written by the old schema
is upgraded in place when the new code opens it, and its runs carry on."""

from __future__ import annotations

import sqlite3

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.replay import Client, Server, Worker, activity, workflow
from engines.replay.tables import SCHEMA_VERSION

#: engines/replay/tables.py's DDL at schema v2 (as committed before v3); v1 had one more column
OLD_DDL = """
CREATE TABLE rp_runs (
    run_id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    workflow_type TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    result TEXT,
    failure TEXT,
    stuck TEXT,
    started_at REAL NOT NULL,
    closed_at REAL,
    parent_run_id TEXT,
    parent_initiated_id INTEGER,
    warned INTEGER NOT NULL DEFAULT 0,{v1_column}
    seq INTEGER NOT NULL
);
CREATE INDEX rp_runs_workflow ON rp_runs (workflow_id, seq);
CREATE TABLE rp_history (
    run_id TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    time REAL NOT NULL,
    event_type TEXT NOT NULL,
    attributes TEXT NOT NULL,
    PRIMARY KEY (run_id, event_id)
) WITHOUT ROWID;
CREATE TABLE rp_tasks (
    task_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    run_id TEXT NOT NULL,
    type_name TEXT NOT NULL,
    scheduled_event_id INTEGER NOT NULL,
    started_event_id INTEGER,
    attempt INTEGER NOT NULL DEFAULT 1,
    visible_at REAL NOT NULL,
    first_scheduled_at REAL NOT NULL,
    lease_owner TEXT,
    lease_expires REAL,
    blocked TEXT,
    rerun INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '{{}}',
    last_failure TEXT,
    heartbeat TEXT
);
CREATE INDEX rp_tasks_poll ON rp_tasks (kind, task_queue, visible_at);
CREATE TABLE rp_timers (
    run_id TEXT NOT NULL,
    timer_id TEXT NOT NULL,
    started_event_id INTEGER NOT NULL,
    fire_at REAL NOT NULL,
    PRIMARY KEY (run_id, timer_id)
);
CREATE INDEX rp_timers_due ON rp_timers (fire_at);
CREATE TABLE rp_workers (
    worker_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    started_at REAL NOT NULL,
    stopped INTEGER NOT NULL DEFAULT 0
);
"""
NEW_INDEXES = {"rp_runs_seq", "rp_tasks_run", "rp_tasks_leased"}
T0 = EPOCH.timestamp()


@activity.defn(name="Echo")
def echo(x):
    return x


@workflow.defn(name="echo-twice")
async def echo_twice(ctx, x):
    return [await ctx.activity(echo, x), await ctx.activity(echo, x + 1)]


def old_file(path, version: int) -> None:
    """A database the old code left: one run started, its first workflow task queued."""
    c = sqlite3.connect(path)
    c.executescript(OLD_DDL.format(v1_column="\n    next_event_id INTEGER NOT NULL DEFAULT 1," if version == 1 else ""))
    c.executescript("CREATE TABLE wc_schema (engine TEXT PRIMARY KEY, version INTEGER NOT NULL);"
                    "CREATE TABLE wc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
    c.execute("INSERT INTO wc_schema VALUES ('replay', ?)", (version,))
    c.execute("INSERT INTO wc_meta VALUES ('replay.virtual_time', ?)", (repr(T0),))
    c.execute("INSERT INTO rp_runs (run_id, workflow_id, workflow_type, task_queue, status, input, started_at, seq) "
              "VALUES ('run-1', 'old', 'echo-twice', 'default', 'Running', '[20]', ?, 1)", (T0,))
    c.executemany("INSERT INTO rp_history VALUES ('run-1', ?, ?, ?, ?)", [
        (1, T0, "WorkflowExecutionStarted",
         '{"workflow_type":"echo-twice","task_queue":"default","input":[20],"workflow_id":"old"}'),
        (2, T0, "WorkflowTaskScheduled", '{"task_queue":"default"}')])
    c.execute("INSERT INTO rp_tasks (kind, task_queue, run_id, type_name, scheduled_event_id, visible_at, "
              "first_scheduled_at) VALUES ('workflow', 'default', 'run-1', 'echo-twice', 2, ?, ?)", (T0, T0))
    c.commit()
    c.close()


def indexes(path) -> set[str]:
    c = sqlite3.connect(path)
    try:
        return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    finally:
        c.close()


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_file_gets_the_indexes_and_its_run_carries_on(tmp_path, version):
    db = tmp_path / "old.db"
    old_file(db, version)
    assert not NEW_INDEXES & indexes(db)
    server = Server(db, VirtualClock(EPOCH))
    assert server.store.schema_version("replay") == SCHEMA_VERSION == 3
    assert NEW_INDEXES <= indexes(db)
    client = Client(server, [echo_twice])
    assert client.describe("old").history_length == 2  # nothing written by the old code is lost
    client.start(echo_twice, 1, id="new")  # seq 2: MAX(seq) through the new index
    Worker(server, workflows=[echo_twice], activities=[echo], skip_time=True).run()
    assert client.describe("old").result == [20, 21] and client.describe("new").result == [1, 2]
    assert [r.workflow_id for r in client.list()] == ["old", "new"]
    server.close()
    again = Server(db, VirtualClock(EPOCH))  # opening an upgraded file again changes nothing
    assert again.store.schema_version("replay") == 3 and again.describe("old").status == "Completed"
    again.close()


def plan(server: Server, sql: str, params: tuple) -> str:
    return " | ".join(r[3] for r in server.store.query("EXPLAIN QUERY PLAN " + sql, params))


def test_the_hot_queries_use_the_indexes(tmp_path):
    server = Server(tmp_path / "new.db", VirtualClock(EPOCH))
    # waking a run: its workflow task, by run id (was: every workflow task scanned)
    wake = plan(server, "SELECT r.task_queue, t.task_id FROM rp_runs r LEFT JOIN rp_tasks t ON t.run_id = r.run_id "
                        "AND t.kind = ? WHERE r.run_id = ?", ("workflow", "x"))
    assert "rp_tasks_run" in wake
    assert "rp_tasks_run" in plan(server, "DELETE FROM rp_tasks WHERE run_id = ?", ("x",))
    assert "rp_runs_seq" in plan(server, "SELECT COALESCE(MAX(seq), 0) + 1 FROM rp_runs", ())
    assert "rp_tasks_leased" in plan(server, "SELECT DISTINCT lease_owner FROM rp_tasks WHERE lease_owner IS NOT NULL "
                                             "AND lease_owner != ? AND lease_expires > ?", ("w", 0.0))
    # a sticky claim of one run's workflow task, as WorkflowTasks.claim words it
    sticky = plan(server, "SELECT t.task_id FROM rp_tasks t JOIN rp_runs r ON r.run_id = t.run_id WHERE t.run_id = ? "
                          "AND t.kind = ? AND +t.task_queue = ? AND +t.visible_at <= ? AND t.blocked IS NULL "
                          "AND (t.lease_owner IS NULL OR t.lease_expires <= ?) AND r.workflow_type IN (?) "
                          "ORDER BY t.visible_at, t.task_id LIMIT 1", ("x", "workflow", "default", 0.0, 0.0, "t"))
    assert "rp_tasks_run" in sticky and "rp_tasks_poll" not in sticky
    server.close()
