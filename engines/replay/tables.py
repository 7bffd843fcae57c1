"""The replay engine's SQLite tables: runs, their histories, task queues, durable timers, workers."""

from __future__ import annotations

from types import MappingProxyType

ENGINE = "replay"
SCHEMA_VERSION = 3
CLOCK_META = "replay.virtual_time"

DDL = """
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
    warned INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL
);
CREATE INDEX rp_runs_workflow ON rp_runs (workflow_id, seq);
CREATE INDEX rp_runs_seq ON rp_runs (seq);
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
    payload TEXT NOT NULL DEFAULT '{}',
    last_failure TEXT,
    heartbeat TEXT
);
CREATE INDEX rp_tasks_poll ON rp_tasks (kind, task_queue, visible_at);
CREATE INDEX rp_tasks_run ON rp_tasks (run_id, kind);
CREATE INDEX rp_tasks_leased ON rp_tasks (lease_owner) WHERE lease_owner IS NOT NULL;
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

#: v2: a run's next event id is no longer kept in rp_runs (one row write less per transaction);
#: it is MAX(event_id) + 1 of its history, found through rp_history's primary key.
#: v3: the indexes the hot queries lacked (EXPLAIN QUERY PLAN showed whole-table scans):
#: - rp_tasks_run: waking a run (`WorkflowTasks.schedule`'s join on run_id), a sticky claim of one
#:   run's task, and dropping a closed run's tasks scanned every queued task;
#: - rp_runs_seq: every start reads MAX(seq), which walked the whole rp_runs_workflow index;
#: - rp_tasks_leased (partial: leased rows only): an idle skip-time worker asks who holds leases
#:   (`busy_elsewhere`, `next_ready_at`), which scanned every queued task.
MIGRATIONS = MappingProxyType({
    2: "ALTER TABLE rp_runs DROP COLUMN next_event_id;",
    3: """
CREATE INDEX IF NOT EXISTS rp_runs_seq ON rp_runs (seq);
CREATE INDEX IF NOT EXISTS rp_tasks_run ON rp_tasks (run_id, kind);
CREATE INDEX IF NOT EXISTS rp_tasks_leased ON rp_tasks (lease_owner) WHERE lease_owner IS NOT NULL;
""",
})
