"""The nightly ETL on the replay engine: an ordinary workflow with three activities.

    rows = await extract(day); summary = await transform(rows); await load(day, summary)

Same tables as the DAG version (`nightly_etl.dag`: source orders → warehouse), same retries=3
(RetryPolicy maximum_attempts=4, 5 min apart). Durable execution works here, but nothing in the job
needs it: no long wait, no signal, nobody to talk to mid-run. A transient warehouse error is
retried by the engine; bad data is marked non-retryable (`BadSourceRow`), so it fails at once
(no three pointless retries), the workflow fails, and `load` never runs: nothing half-loaded.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Callable

from engines.replay import ApplicationError, Client, RetryPolicy, Server, Worker, WorkflowContext, activity, workflow
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import ReplayDetails
from workloads.nightly_etl.observations import EtlObservations
from workloads.nightly_etl.tables import SCENARIOS, BadSourceRow, EtlTables, prepare
from workloads.options import RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Ledger
from workloads.workload import WorkloadVersion

WORKFLOW_ID = "nightly-etl-2026-01-01"
#: retries=3 → four attempts in all, five minutes apart (the DAG's retry_delay); bad data is final.
ETL_RETRY = RetryPolicy(initial_interval=timedelta(minutes=5), backoff_coefficient=1.0, maximum_attempts=4,
                        non_retryable_error_types=("BadSourceRow",))


class EtlActivities:
    """The steps as activities (RED: they touch the tables; results recorded in the history)."""

    def __init__(self, tables: EtlTables) -> None:
        self.tables = tables

    @activity.defn(name="Extract")
    def extract(self, ds: str) -> list[list]:
        return self.tables.extract(ds)

    @activity.defn(name="Transform")
    def transform(self, rows: list[list]) -> dict:
        try:
            return self.tables.transform(rows)
        except BadSourceRow as exc:
            raise ApplicationError(str(exc), type="BadSourceRow", non_retryable=True) from exc

    @activity.defn(name="Load")
    def load(self, ds: str, summary: dict) -> dict:
        return self.tables.load(ds, summary)

    def all(self) -> list[Callable]:
        return [self.extract, self.transform, self.load]


A = EtlActivities


@workflow.defn(name="nightly-etl")
async def etl_workflow(ctx: WorkflowContext, ds: str) -> dict:
    """Extract → Transform → Load for day `ds`, each activity with the retry policy."""
    rows = await ctx.activity(A.extract, ds, activity_id="extract", retry=ETL_RETRY)
    summary = await ctx.activity(A.transform, rows, activity_id="transform", retry=ETL_RETRY)
    return await ctx.activity(A.load, ds, summary, activity_id="load", retry=ETL_RETRY)


def run(scenario: str = "happy", *, db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """Last night's run (day 0) on a fresh virtual clock with an in-process skip-time worker."""
    clock, tables, ds = prepare(scenario, "replay", db)
    store = tables.store
    trace = TraceRecorder("replay", listener)
    server = Server(store, clock, trace=trace)
    client = Client(server, [etl_workflow])
    worker = Worker(server, workflows=[etl_workflow], activities=EtlActivities(tables).all(), skip_time=True)
    client.start(etl_workflow, ds, id=WORKFLOW_ID)
    worker.run()
    worker.stop()
    d = client.describe(WORKFLOW_ID)
    details = ReplayDetails.of(client, WORKFLOW_ID, [worker])
    warehouse = tables.warehouse()
    problems = list(worker.stats.problems)
    for name, n in details.attempts.items():
        if n > 1:
            problems.append(f"{name} needed {n} attempts (RetryPolicy: 4 attempts, 5 min apart)")
    if d.status == "Completed":
        status = OutcomeStatus.COMPLETED
    else:
        status = OutcomeStatus.FAILED
        problems.append(f"workflow {d.status.lower()}: {(d.failure or {}).get('message', '')}")
        if scenario == "bad-data":
            problems.append("BadSourceRow is non-retryable: Transform failed on its first attempt, Load never ran "
                            "and the warehouse was not written")
    outcome = outcome_from_ledger("replay", status, Ledger(), None, slot_seconds=0.0, events=d.history_length,
                                  problems=problems, result={"warehouse": warehouse})
    return WorkloadRun("replay", WorkloadName.NIGHTLY_ETL, scenario, list(trace.events), outcome, Ledger(), details,
                       EtlObservations(warehouse))


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.NIGHTLY_ETL, "replay", SCENARIOS, frozenset(), _run_with)
