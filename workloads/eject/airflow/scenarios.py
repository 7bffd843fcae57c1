"""Each scenario as the DAG engine's version drives it, said once for the real Airflow run.

The world (the SQLite file CANVAS_DB names) is set up here exactly as the workload's `dag.py`
`run()` sets up its own: the same seed rows, the same fault injections on the services. What a
person does while the run waits (the manager answers, the order is cancelled, a worker crashes,
a new version of the DAG file is deployed) becomes an action at the same virtual day, done inside
the Airflow process by the harness (harness/run_dag_tests.py) in Airflow's own terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engines.clock import EPOCH
from engines.errors import WorkflowCanvasError
from engines.store import open_store
from workloads.expense_approval import claim
from workloads.nightly_etl import tables
from workloads.order_1001 import dag as order_dag
from workloads.order_1001.order import ORDER_ID
from workloads.runner import scenarios
from workloads.runs import WorkloadName
from workloads.services import Services

#: The workloads exported to Airflow, and the DAG file (= dag_id = files/ folder) of each.
DAG_IDS: dict[str, str] = {
    WorkloadName.ORDER_1001: "order_1001",
    WorkloadName.NIGHTLY_ETL: "nightly_etl",
    WorkloadName.EXPENSE_APPROVAL: "expense_approval",
}
#: The ledger key each workload's figures are read under (the ETL has no order: the whole ledger).
LEDGER_KEYS: dict[str, str | None] = {
    WorkloadName.ORDER_1001: ORDER_ID,
    WorkloadName.NIGHTLY_ETL: None,
    WorkloadName.EXPENSE_APPROVAL: claim.CLAIM_ID,
}
#: ORDER #1001's version 2 of the DAG file differs from version 1 by this one line.
V1_LINE, V2_LINE = "FRAUD_CHECK = False", "FRAUD_CHECK = True"


class UnsupportedWorkload(WorkflowCanvasError):
    """A workload with no Airflow export, or a scenario the workload does not have."""


def dag_id(workload: str) -> str:
    if workload not in DAG_IDS:
        raise UnsupportedWorkload(f"workload {workload!r} has no Airflow export; "
                                  f"exported: {', '.join(DAG_IDS)}")
    return DAG_IDS[workload]


def check(workload: str, scenario: str) -> None:
    """Refuse an unknown workload or scenario before anything is set up."""
    dag_id(workload)
    known = scenarios(workload)
    if scenario not in known:
        raise UnsupportedWorkload(f"workload {workload!r} has no scenario {scenario!r}; choose one of: {', '.join(known)}")


@dataclass
class Plan:
    """One scenario for the harness: its world, its actions (by virtual day) and its faults."""

    workload: str
    scenario: str
    world: Path
    actions: list[dict[str, Any]] = field(default_factory=list)
    flaky_transform_failures: int = 0

    def job(self, key: str, dag_file: Path) -> dict[str, Any]:
        """The job as the harness reads it (JSON)."""
        return {"key": key, "dag_id": dag_id(self.workload), "dag_file": str(dag_file), "canvas_db": str(self.world),
                "actions": self.actions, "flaky_transform_failures": self.flaky_transform_failures}


def plan(workload: str, scenario: str, world: Path, v2_dag_file: Path | None = None) -> Plan:
    """Set up the scenario's world in the file `world` (a fresh one) and say what happens when."""
    check(workload, scenario)
    world.unlink(missing_ok=True)
    store = open_store(world)
    services = Services(store)
    p = Plan(workload, scenario, world)
    if workload == WorkloadName.ORDER_1001:
        if scenario == "sick-payment":
            services.inject("payment", "unavailable", times=3)
        elif scenario == "declined":
            services.inject("payment", "reject")
        day = order_dag.DEFAULT_DAY.get(scenario)
        if scenario == "cancel" and day is not None:
            p.actions.append({"day": day, "do": "mark_dag_run_failed"})
        elif scenario == "crash" and day is not None:
            p.actions.append({"day": day, "do": "kill_worker"})
        elif scenario == "deploy-v2" and day is not None:
            if v2_dag_file is None:
                raise UnsupportedWorkload("deploy-v2 needs version 2 of the DAG file")
            p.actions.append({"day": day, "do": "deploy", "dag_file": str(v2_dag_file)})
    elif workload == WorkloadName.EXPENSE_APPROVAL:
        claim.Inbox(store)
        answer = claim.ANSWERS[scenario]
        if answer is not None:
            p.actions.append({"day": claim.DEFAULT_DAY, "do": "answer", "claim_id": claim.CLAIM_ID, "decision": answer})
    else:
        tables.seed(store, EPOCH.date().isoformat(), bad=scenario == "bad-data")
        if scenario == "flaky-transform":
            p.flaky_transform_failures = tables.FLAKY_FAILURES
    store.close()
    return p


def write_v2(dag_file: Path, out: Path) -> Path:
    """Version 2 of ORDER #1001's DAG file (a fraud check between charge and reserve)."""
    text = dag_file.read_text()
    if V1_LINE not in text:
        raise UnsupportedWorkload(f"{dag_file}: no line {V1_LINE!r} to make version 2 from")
    out.write_text(text.replace(V1_LINE, V2_LINE, 1))
    return out
