"""Eject to AWS Step Functions: each workload's ASL with its Lambda handlers, run on moto or AWS.

`export(workload, out_dir)` writes the definition, its resource map, the handlers and a boto3
deploy script (see `export.py`); `run(workload, scenario, work_dir=...)` plays that export on
moto's Step Functions in this process, on virtual time (`local.py`), or on an endpoint
(`endpoint_url=`). `mini_steps`/`mini_status` put the state-machine engine's run in the same
words: history event types in order, and the execution's status. An inline Map's iterations
interleave on Step Functions; `map_iterations` holds the comparison that survives that.
"""

from __future__ import annotations

from workloads.eject.stepfunctions.export import export
from workloads.eject.stepfunctions.local import run
from workloads.runs import WorkloadRun

#: The workloads exported to Step Functions.
SUPPORTED: tuple[str, ...] = ("order-1001", "expense-approval", "nightly-etl", "kyc-review",
                             "thumbnail-fan-out", "subscription-renewal")


def mini_steps(run: WorkloadRun) -> list[str]:
    """The state-machine engine's history event types, in order (GetExecutionHistory's `type`)."""
    return [str(row["type"]) for row in run.statemachine.history]


def mini_status(run: WorkloadRun) -> str:
    """The state-machine engine's execution status: already Step Functions' word."""
    return run.statemachine.execution_status


__all__ = ["SUPPORTED", "export", "mini_status", "mini_steps", "run"]
