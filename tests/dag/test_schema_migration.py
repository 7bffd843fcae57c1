"""Schema 2 of the DAG metadata database (map_index for dynamic task mapping, deferral columns,
serde XCom): a schema-1 file from before is migrated in place by pure SQL and a scheduler
continues its run from it."""

from engines.clock import EPOCH, VirtualClock
from engines.dag import DAG, PythonOperator, Scheduler
from engines.dag.metadata import SCHEMA_VERSION, MetadataDB
from engines.store import open_store

V1_DDL = """
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
    pool TEXT NOT NULL, dag_version INTEGER NOT NULL,
    PRIMARY KEY (run_id, task_id)
);
CREATE TABLE task_instance_history (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL, state TEXT NOT NULL,
    start_date TEXT, end_date TEXT, slot_seconds REAL NOT NULL, pokes INTEGER NOT NULL,
    PRIMARY KEY (run_id, task_id, try_number)
);
CREATE TABLE task_reschedule (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL,
    start_date TEXT NOT NULL, reschedule_date TEXT NOT NULL
);
CREATE TABLE xcom (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (run_id, task_id, key)
);
"""
RUN = "manual__2026-01-01T00:00:00+00:00"


def build():
    with DAG("migrated") as dag:
        a = PythonOperator(task_id="a", python_callable=lambda: {"rows": 2})
        b = PythonOperator(task_id="b", python_callable=lambda ti: ti.xcom_pull(task_ids="a")["rows"] * 10)
        a >> b
    return dag


def test_a_schema_1_file_is_migrated_and_its_run_continues(tmp_path):
    db = tmp_path / "v1.db"
    store = open_store(db, "dag", 1, V1_DDL)
    t0 = EPOCH.isoformat()
    with store.transaction() as c:
        c.execute("INSERT INTO dag_run VALUES (?, 'migrated', 'manual', 'running', ?, ?, NULL, 1, '{}', '')", (RUN, t0, t0))
        c.execute("INSERT INTO task_instance VALUES (?, 'a', 'success', 1, 0, ?, ?, 0, NULL, NULL, 0, 'default_pool', 1)",
                  (RUN, t0, t0))
        c.execute("INSERT INTO task_instance VALUES (?, 'b', 'none', 0, 0, NULL, NULL, 0, NULL, NULL, 0, 'default_pool', 1)",
                  (RUN,))
        c.execute("INSERT INTO xcom VALUES (?, 'a', 'return_value', ?)", (RUN, '{"rows": 2}'))
    store.close()

    meta = MetadataDB(db)
    assert meta.store.schema_version("dag") == SCHEMA_VERSION == 2
    assert {(t["task_id"], t["map_index"]) for t in meta.task_instances(RUN)} == {("a", -1), ("b", -1)}
    meta.close()
    s = Scheduler([build()], db=db, clock=VirtualClock(EPOCH))
    run = s.run_until_done(RUN)
    assert run.state == "success" and s.xcom_pull(RUN, "b") == 20
    s.close()
