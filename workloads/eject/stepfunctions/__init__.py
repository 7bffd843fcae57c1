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


def comparable_steps(steps: list[str]) -> list[str]:
    """The steps as they can be compared across engines: a Map's iterations interleave on Step
    Functions (their events come in no fixed order across iterations), so the events outside any
    Map stay in order and those inside are counted by type; a history without a Map is unchanged."""
    if "MapIterationStarted" not in steps:
        return list(steps)
    from workloads.eject.stepfunctions.map_iterations import outside_and_inside_maps

    outside, inside = outside_and_inside_maps(steps)
    return [*outside, *(f"{kind} ×{n} inside Map iterations" for kind, n in sorted(inside.items()))]


def mini_status(run: WorkloadRun) -> str:
    """The state-machine engine's execution status: already Step Functions' word."""
    return run.statemachine.execution_status


__all__ = ["SUPPORTED", "export", "mini_status", "mini_steps", "run"]
