"""The nightly ETL on the state-machine engine: the ASL in statemachine.json bound to the tables.

Three Lambda Task states with Retry (TransientWarehouseError, 3 × 300 s) and a Catch to a Fail
state. The function names in the ARNs are bound here to the same table steps the replay version
runs (`EtlTables`), over the tables the DAG version seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

from engines.statemachine import Engine, Resources
from engines.trace import TraceRecorder
from workloads.details import StatemachineDetails
from workloads.nightly_etl.observations import EtlObservations
from workloads.nightly_etl.tables import SCENARIOS, EtlTables, prepare
from workloads.options import RunOptions
from workloads.runs import STATEMACHINE_STATUS, Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Ledger
from workloads.workload import WorkloadVersion

DEFINITION_PATH = Path(__file__).with_name("statemachine.json")
STATE_MACHINE = "nightly-etl"


def definition() -> dict:
    """The ASL in statemachine.json, read fresh (callers may change their copy)."""
    return json.loads(DEFINITION_PATH.read_text())


def resources(tables: EtlTables) -> Resources:
    """Bind the three function names to the table steps."""
    r = Resources()
    r.register("etl-extract", lambda p, c: tables.extract(p["ds"]))
    r.register("etl-transform", lambda p, c: tables.transform(p["rows"]))
    r.register("etl-load", lambda p, c: tables.load(p["ds"], p["summary"]))
    return r


def run(scenario: str = "happy", *, db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """Last night's execution (day 0) on a fresh virtual clock."""
    clock, tables, ds = prepare(scenario, "statemachine", db)
    recorder = TraceRecorder("statemachine", listener)
    engine = Engine(tables.store, clock, resources(tables), recorder=recorder)
    engine.create_state_machine(STATE_MACHINE, definition())
    arn = engine.start_execution(STATE_MACHINE, {"ds": ds}, name=f"nightly-etl-{ds}")
    engine.run_until_idle()
    desc = engine.describe_execution(arn)
    history = engine.get_execution_history(arn)
    warehouse = tables.warehouse()
    problems: list[str] = []
    retries = [e for e in history if e.type in ("LambdaFunctionFailed", "TaskFailed")]
    if retries and desc["status"] == "SUCCEEDED":
        problems.append(f"{len(retries)} task attempt(s) failed and were retried (Retry: TransientWarehouseError, "
                        "3 × 300 s)")
    if desc["status"] == "FAILED":
        problems.append(f"the execution failed with {desc['error']}: {desc['cause']}")
        problems.append("the Catch sent it to RefreshFailed before Load: the warehouse was not written")
    details = StatemachineDetails.of(engine, STATE_MACHINE, arn, definition())
    outcome = outcome_from_ledger("statemachine", STATEMACHINE_STATUS[desc["status"]], Ledger(), None, slot_seconds=0.0,
                                  events=len(history), problems=problems, result={"warehouse": warehouse})
    return WorkloadRun("statemachine", WorkloadName.NIGHTLY_ETL, scenario, list(recorder.events), outcome, Ledger(),
                       details, EtlObservations(warehouse))


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.NIGHTLY_ETL, "statemachine", SCENARIOS, frozenset(), _run_with)
