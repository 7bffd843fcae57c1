"""The side-by-side runner: one workload, one scenario, three engines, one virtual timeline.

Every engine's version of a workload starts at day 0 (`engines.clock.EPOCH`) on a fresh virtual
clock and its own in-memory database, so the three traces line up by time and nothing one engine
does can leak into another's ledger. A run of 30 virtual days takes well under a second, which is
why a user's action at day N (cancel, crash) is simply a re-run with that scenario and day.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import Any, Iterable

from engines.errors import WorkflowCanvasError
from engines.trace import ENGINES
from workloads.runs import Listener, WorkloadRun

#: Runnable workload name → the package that holds it once per engine.
WORKLOADS: dict[str, str] = {
    "order-1001": "workloads.order_1001",
    "nightly-etl": "workloads.nightly_etl",
    "expense-approval": "workloads.expense_approval",
}


class UnknownWorkloadError(WorkflowCanvasError):
    pass


def _package(workload: str) -> str:
    try:
        return WORKLOADS[workload]
    except KeyError:
        raise UnknownWorkloadError(f"unknown workload {workload!r}; choose one of: {', '.join(WORKLOADS)}") from None


def engine_module(workload: str, engine: str) -> ModuleType:
    """The module holding `workload` written for `engine` (its `run()` and `SCENARIOS`)."""
    if engine not in ENGINES:
        raise UnknownWorkloadError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    return importlib.import_module(f"{_package(workload)}.{engine}")


def scenarios(workload: str) -> list[str]:
    """The scenarios every engine's version of the workload supports, in the order they were written."""
    lists = [list(engine_module(workload, e).SCENARIOS) for e in ENGINES]
    return [s for s in lists[0] if all(s in other for other in lists[1:])]


def run_workload(workload: str, engine: str, scenario: str = "happy", *, day: float | None = None,
                 listener: Listener | None = None, **options: Any) -> WorkloadRun:
    """Run one workload under one scenario on one engine.

    Options an engine's `run()` does not take (a version gate means nothing to a DAG) are left out,
    so one call can carry every engine's knobs.
    """
    module = engine_module(workload, engine)
    if scenario not in module.SCENARIOS:
        raise UnknownWorkloadError(
            f"workload {workload!r} has no scenario {scenario!r} on {engine}; choose one of: {', '.join(module.SCENARIOS)}")
    params = inspect.signature(module.run).parameters
    kwargs = {k: v for k, v in options.items() if k in params}
    if day is not None:
        if "day" not in params:
            raise UnknownWorkloadError(f"workload {workload!r} on {engine} takes no --day")
        kwargs["day"] = day
    if listener is not None:
        kwargs["listener"] = listener
    return module.run(scenario, **kwargs)


def run_side_by_side(workload: str, scenario: str = "happy", *, day: float | None = None,
                     engines: Iterable[str] = ENGINES, listener: Listener | None = None,
                     **options: Any) -> dict[str, WorkloadRun]:
    """The same workload and scenario on each engine; traces share one timeline from day 0."""
    return {engine: run_workload(workload, engine, scenario, day=day, listener=listener, **options) for engine in engines}
