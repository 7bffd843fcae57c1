"""The nightly ETL as an Airflow DAG: extract >> transform >> load, retries=3, @daily.

Short, stateless tasks over small SQLite tables (the day's source orders → a warehouse table),
with task-level retries: what a DAG scheduler does well. Scenarios: "happy"; "flaky-transform"
(a transient error twice, then it works: retries fix it); "bad-data" (a source row that cannot
be parsed: every retry fails the same way, load never runs and the warehouse is left untouched).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engines.clock import EPOCH, VirtualClock
from engines.dag import DAG, DagError, PythonOperator, Scheduler
from engines.store import Store, open_store
from engines.trace import OutcomeStatus
from workloads.runs import WorkloadRun, outcome_from_ledger
from workloads.services import Ledger

SCENARIOS = ("happy", "flaky-transform", "bad-data")
DAG_ID = "nightly_etl"
SCHEMA_VERSION = 1
DDL = """
CREATE TABLE etl_source_orders (id INTEGER PRIMARY KEY, day TEXT NOT NULL, amount_cents TEXT NOT NULL);
CREATE TABLE etl_warehouse_daily (day TEXT PRIMARY KEY, orders INTEGER NOT NULL, revenue_cents INTEGER NOT NULL);
"""
DURATIONS = {"extract": timedelta(minutes=2), "transform": timedelta(minutes=5), "load": timedelta(minutes=3)}


class TransientWarehouseError(Exception):
    """The warehouse connection dropped: a later try can work."""


def seed(store: Store, day: str, *, bad: bool = False) -> None:
    """Yesterday's orders in the source table (one unparseable amount with `bad`)."""
    store.ensure_schema("nightly_etl", SCHEMA_VERSION, DDL)
    rows = [(day, "4200"), (day, "1999"), (day, "650")] + ([(day, "42,00 EUR")] if bad else [])
    with store.transaction() as c:
        c.executemany("INSERT INTO etl_source_orders (day, amount_cents) VALUES (?, ?)", rows)


def build_dag(store: Store, *, flaky_failures: int = 0) -> DAG:
    """The DAG file. `flaky_failures`: how many transform tries hit a transient error."""
    failures = {"left": flaky_failures}

    def extract(ds: str) -> list[list]:
        rows = store.query("SELECT id, amount_cents FROM etl_source_orders WHERE day = ? ORDER BY id", (ds,))
        return [[r[0], r[1]] for r in rows]

    def transform(ti) -> dict:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise TransientWarehouseError("connection reset by the warehouse")
        rows = ti.xcom_pull(task_ids="extract")
        total = 0
        for row_id, amount in rows:
            try:
                total += int(amount)
            except ValueError:
                raise ValueError(f"etl_source_orders row {row_id}: amount_cents {amount!r} is not a number") from None
        return {"orders": len(rows), "revenue_cents": total}

    def load(ti, ds: str) -> dict:
        summary = ti.xcom_pull(task_ids="transform")
        with store.transaction() as c:
            c.execute("INSERT OR REPLACE INTO etl_warehouse_daily VALUES (?, ?, ?)",
                      (ds, summary["orders"], summary["revenue_cents"]))
        return {"day": ds, **summary}

    with DAG(DAG_ID, schedule="@daily", start_date=EPOCH, catchup=False,
             default_args={"retries": 3, "retry_delay": timedelta(minutes=5)},
             description="nightly data-warehouse refresh") as dag:
        e = PythonOperator("extract", extract, duration=DURATIONS["extract"])
        t = PythonOperator("transform", transform, duration=DURATIONS["transform"])
        ld = PythonOperator("load", load, duration=DURATIONS["load"])
        e >> t >> ld
    return dag


def run(scenario: str = "happy", *, db: str | Path = ":memory:", listener=None) -> WorkloadRun:
    """One nightly run (the @daily run due at day 0) on a fresh virtual clock."""
    if scenario not in SCENARIOS:
        raise DagError(f"unknown scenario {scenario!r} for nightly-etl on dag; choose one of {', '.join(SCENARIOS)}")
    clock = VirtualClock(EPOCH)
    store = open_store(db)
    ds = EPOCH.date().isoformat()
    seed(store, ds, bad=scenario == "bad-data")
    dag = build_dag(store, flaky_failures=2 if scenario == "flaky-transform" else 0)
    sched = Scheduler([dag], clock=clock, db=store, listener=listener)
    sched.step()  # the @daily run due at midnight is created
    run_ = sched.dag_run()
    sched.run_until_done(run_.run_id)
    warehouse = [dict(r) for r in store.query("SELECT * FROM etl_warehouse_daily ORDER BY day")]
    problems = []
    for task_id, ti in run_.tis.items():
        if ti.try_number > 1:
            problems.append(f"{task_id} needed {ti.try_number} tries (retries=3, retry_delay 5 min)")
        if ti.state in ("failed", "upstream_failed"):
            problems.append(f"{task_id} ended {ti.state}")
    if scenario == "bad-data" and run_.state != "success":
        problems.append("bad data is not transient: every retry failed the same way and the warehouse was not written")
    slots = sched.slot_seconds(run_.run_id)
    status = OutcomeStatus.COMPLETED if run_.state == "success" else OutcomeStatus.FAILED
    outcome = outcome_from_ledger("dag", status, Ledger(), None, slot_seconds=sum(slots.values()),
                                  events=run_.transitions, problems=problems, result={"warehouse": warehouse})
    extra = {"grid": sched.grid(run_.run_id), "pokes": 0, "slot_seconds_by_task": slots, "run_id": run_.run_id,
             "run_state": run_.state, "warehouse": warehouse}
    trace = list(sched.trace.events)
    sched.close()
    return WorkloadRun("dag", "nightly-etl", scenario, trace, outcome, Ledger(), extra)
