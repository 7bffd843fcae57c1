"""What a run on a real engine gives back, and how it is set beside the mini-engine's run.

`workflow-canvas export` writes each bundled workload for a real system (temporalio, Airflow 3,
Step Functions); `run --on real` runs that exported code on the real engine and compares it with
the mini-engine that teaches the same model. Each real system's package under `workloads.eject`
provides two public functions with one shape, so the CLI and the run view read one record:

    export(workload: str, out_dir: Path) -> list[Path]
    run(workload: str, scenario: str, *, work_dir: Path, **system_options) -> RealRun

The real engines are optional (the `real` extra): nothing here imports them at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engines.errors import WorkflowCanvasError
from engines.trace import EngineName


class RealSystem(StrEnum):
    """The real engines a workload is exported to, by the names `export --to` takes."""

    TEMPORAL = "temporal"
    AIRFLOW = "airflow"
    STEPFUNCTIONS = "stepfunctions"


#: The mini-engine that teaches each real system's model (the run it is compared with).
MINI_ENGINE: dict[RealSystem, EngineName] = {
    RealSystem.TEMPORAL: "replay", RealSystem.AIRFLOW: "dag", RealSystem.STEPFUNCTIONS: "statemachine",
}


class RealEngineUnavailable(WorkflowCanvasError):
    """The real engine cannot be had here (its package is not installed, or no binary exists for
    this platform): the message says which and how to get it. Tests skip with this reason."""


class RealRunError(WorkflowCanvasError):
    """The real engine was there but the exported workload could not be run on it."""


@dataclass
class RealRun:
    """One exported workload, one scenario, on one real engine: what the real engine said.

    `status` is the real system's own word (Temporal: COMPLETED/FAILED/…, Airflow: success/failed,
    Step Functions: SUCCEEDED/FAILED/TIMED_OUT/ABORTED). `ledger` is what the same services
    recorded (`Ledger.counts()` shape: charged_cents, refunded_cents, reserved, released,
    shipped, emailed), so money and goods compare with the mini-engine's outcome. `steps` is the
    comparable unit of each model: Temporal's event types in order, Airflow's task_id → state,
    Step Functions' history event types in order. `history` is the real engine's own record as
    JSON (Temporal's history JSON, Airflow's task instances, Step Functions' GetExecutionHistory).
    """

    system: RealSystem
    workload: str
    scenario: str
    status: str
    ledger: dict[str, int]
    steps: list[str] | dict[str, str]
    history: Any = None
    output: Any = None
    #: How the real engine was had (versions, server address), for the reader.
    engine_version: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def mini_engine(self) -> EngineName:
        return MINI_ENGINE[self.system]

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system.value, "workload": self.workload, "scenario": self.scenario,
                "status": self.status, "ledger": dict(self.ledger), "steps": self.steps, "output": self.output,
                "engine_version": self.engine_version, "notes": list(self.notes)}
