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
from workloads.kyc import case as kyc
from workloads.nightly_etl import tables
from workloads.order_1001 import dag as order_dag
from workloads.order_1001.order import ORDER_ID
from workloads.runner import scenarios
from workloads.runs import WorkloadName
from workloads.services import Services
from workloads.thumbnails import images

#: The workloads exported to Airflow, and the DAG file (= dag_id = files/ folder) of each.
DAG_IDS: dict[str, str] = {
    WorkloadName.ORDER_1001: "order_1001",
    WorkloadName.NIGHTLY_ETL: "nightly_etl",
    WorkloadName.EXPENSE_APPROVAL: "expense_approval",
    WorkloadName.KYC: "kyc_review",
    WorkloadName.THUMBNAILS: "thumbnail_fan_out",
}
#: The ledger key each workload's figures are read under (the ETL has no order: the whole ledger).
LEDGER_KEYS: dict[str, str | None] = {
    WorkloadName.ORDER_1001: ORDER_ID,
    WorkloadName.NIGHTLY_ETL: None,
    WorkloadName.EXPENSE_APPROVAL: claim.CLAIM_ID,
    WorkloadName.KYC: kyc.CASE_ID,
    WorkloadName.THUMBNAILS: None,
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
    #: One DAG run per conf (`dag.test(run_conf=...)`, `airflow dags trigger --conf`) when the DAG
    #: reads one; empty: one run with none.
    confs: list[dict[str, Any]] = field(default_factory=list)

    def job(self, key: str, dag_file: Path) -> dict[str, Any]:
        """The job as the harness reads it (JSON)."""
        return {"key": key, "dag_id": dag_id(self.workload), "dag_file": str(dag_file), "canvas_db": str(self.world),
                "actions": self.actions, "flaky_transform_failures": self.flaky_transform_failures, "confs": self.confs}


def plan(workload: str, scenario: str, world: Path, v2_dag_file: Path | None = None, *,
         batch: BatchSize | None = None) -> Plan:
    """Set up the scenario's world in the file `world` (a fresh one) and say what happens when.
    `batch` runs thumbnail-fan-out's batch-1000 in a smaller size (see BatchSize)."""
    check(workload, scenario)
    world.unlink(missing_ok=True)
    if workload == WorkloadName.KYC:
        return _kyc_plan(scenario, world)
    if workload == WorkloadName.THUMBNAILS:
        return _thumbnails_plan(scenario, world, batch or BatchSize())
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


def _kyc_plan(scenario: str, world: Path) -> Plan:
    """The case with document set 1 uploaded on day 0 (the workload's own World.open); the
    customer's upload and the reviewer's decision at the scenario's days, as the DAG engine's run."""
    kyc.World.open(scenario, "airflow", world).store.close()
    p = Plan(WorkloadName.KYC, scenario, world)
    for action in kyc.scenario_actions(scenario, None):
        if action.kind is kyc.ActionKind.NEW_DOCUMENTS:
            p.actions.append({"day": action.day, "do": "kyc_documents", "version": action.version})
        else:
            p.actions.append({"day": action.day, "do": "kyc_decision", "decision": action.decision})
    return p


#: Uploads per DAG run of a batch, as the DAG file's `upload_ids` param allows (its maxItems) and
#: the DAG engine's version chunks: 50 x 5 sizes stays within `[core] max_map_length` (1,024).
CHUNK_SIZE = 50


@dataclass(frozen=True)
class BatchSize:
    """How much of batch-1000 to run: the first `uploads` uploads, `chunk` uploads per DAG run.

    The default is the whole scenario (1,000 uploads, 20 runs of 50). dag.test() runs every task
    instance in turn in one process (~0.2 s each), so the whole batch (6,020 task instances) takes
    many minutes: a smaller batch shows the same chunked runs in seconds."""

    uploads: int = images.BATCH_UPLOADS
    chunk: int = CHUNK_SIZE

    def __post_init__(self) -> None:
        if not 1 <= self.uploads <= images.BATCH_UPLOADS:
            raise UnsupportedWorkload(f"batch uploads must be 1 to {images.BATCH_UPLOADS}, got {self.uploads}")
        if not 1 <= self.chunk <= CHUNK_SIZE:
            raise UnsupportedWorkload(f"uploads per DAG run must be 1 to {CHUNK_SIZE} (the DAG's upload_ids maxItems), "
                                      f"got {self.chunk}")


def _thumbnails_plan(scenario: str, world: Path, batch: BatchSize) -> Plan:
    """The uploads (and flaky-size's fault) in the image store, as the workload's World.open sets
    them; each DAG run's conf names its chunk of uploads, as an upload service would trigger them."""
    w = images.World.open(scenario, "airflow", world)
    ids = [u["upload_id"] for u in w.uploads][:batch.uploads]
    w.store.close()
    confs = [{"upload_ids": ids[i:i + batch.chunk]} for i in range(0, len(ids), batch.chunk)]
    return Plan(WorkloadName.THUMBNAILS, scenario, world, confs=confs)


def write_v2(dag_file: Path, out: Path) -> Path:
    """Version 2 of ORDER #1001's DAG file (a fraud check between charge and reserve)."""
    text = dag_file.read_text()
    if V1_LINE not in text:
        raise UnsupportedWorkload(f"{dag_file}: no line {V1_LINE!r} to make version 2 from")
    out.write_text(text.replace(V1_LINE, V2_LINE, 1))
    return out
