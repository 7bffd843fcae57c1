"""The nightly ETL as an Airflow DAG: extract >> transform >> load, retries=3, @daily.

Short, stateless tasks over small SQLite tables (the day's source orders → a warehouse table),
with task-level retries: what a DAG scheduler does well. Scenarios: "happy"; "flaky-transform"
(one transient error, then it works: a retry fixes it); "bad-data" (a source row that cannot
be parsed: every retry fails the same way, load never runs and the warehouse is left untouched).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engines.clock import EPOCH
from engines.dag import DAG, PythonOperator, Scheduler
from engines.trace import OutcomeStatus
from workloads.details import DagDetails
from workloads.nightly_etl.observations import EtlObservations
from workloads.nightly_etl.tables import SCENARIOS, EtlTables, prepare
from workloads.options import RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Ledger
from workloads.workload import WorkloadVersion

DAG_ID = "nightly_etl"
DURATIONS = {"extract": timedelta(minutes=2), "transform": timedelta(minutes=5), "load": timedelta(minutes=3)}


def build_dag(tables: EtlTables) -> DAG:
    """The DAG file: three short tasks over the ETL tables, results passed on as XCom."""

    def extract(ds: str) -> list[list]:
        return tables.extract(ds)

    def transform(ti) -> dict:
        return tables.transform(ti.xcom_pull(task_ids="extract"))

    def load(ti, ds: str) -> dict:
        return tables.load(ds, ti.xcom_pull(task_ids="transform"))

    with DAG(DAG_ID, schedule="@daily", start_date=EPOCH, catchup=False,
             default_args={"retries": 3, "retry_delay": timedelta(minutes=5)},
             description="nightly data-warehouse refresh") as dag:
        e = PythonOperator("extract", extract, duration=DURATIONS["extract"])
        t = PythonOperator("transform", transform, duration=DURATIONS["transform"])
        ld = PythonOperator("load", load, duration=DURATIONS["load"])
        e >> t >> ld
    return dag


def run(scenario: str = "happy", *, db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """One nightly run (the @daily run due at day 0) on a fresh virtual clock."""
    clock, tables, ds = prepare(scenario, "dag", db)
    store = tables.store
    dag = build_dag(tables)
    sched = Scheduler([dag], clock=clock, db=store, listener=listener)
    sched.step()  # the @daily run due at midnight is created
    run_ = sched.dag_run()
    sched.run_until_done(run_.run_id)
    warehouse = tables.warehouse()
    problems: list[str] = []
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
    details = DagDetails.of(sched, run_.run_id)
    trace = list(sched.trace.events)
    sched.close()
    return WorkloadRun("dag", WorkloadName.NIGHTLY_ETL, scenario, trace, outcome, Ledger(), details,
                       EtlObservations(warehouse))


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.NIGHTLY_ETL, "dag", SCENARIOS, frozenset(), _run_with)
