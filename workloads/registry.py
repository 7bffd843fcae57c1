"""Every runnable workload, once per engine, registered by name: what the runner can run.

Each engine module of a workload declares its `WORKLOAD` (its scenarios and the options it
takes, see `workloads.workload`); this module imports those modules by name and lists them, so
adding a workload or an engine version is one visible line here, and an unknown name is an
error that lists the choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engines.errors import WorkflowCanvasError
from engines.trace import ENGINES, EngineName
from workloads.expense_approval import dag as expense_dag
from workloads.expense_approval import replay as expense_replay
from workloads.expense_approval import statemachine as expense_statemachine
from workloads.kyc import dag as kyc_dag
from workloads.kyc import replay as kyc_replay
from workloads.kyc import statemachine as kyc_statemachine
from workloads.nightly_etl import dag as etl_dag
from workloads.nightly_etl import replay as etl_replay
from workloads.nightly_etl import statemachine as etl_statemachine
from workloads.order_1001 import dag as order_dag
from workloads.order_1001 import replay as order_replay
from workloads.order_1001 import statemachine as order_statemachine
from workloads.runs import WorkloadName
from workloads.subscription import dag as subscription_dag
from workloads.subscription import replay as subscription_replay
from workloads.subscription import statemachine as subscription_statemachine
from workloads.thumbnails import dag as thumbnails_dag
from workloads.thumbnails import replay as thumbnails_replay
from workloads.thumbnails import statemachine as thumbnails_statemachine
from workloads.workload import Workload

_VERSIONS: tuple[Workload, ...] = (
    order_replay.WORKLOAD, order_dag.WORKLOAD, order_statemachine.WORKLOAD,
    etl_replay.WORKLOAD, etl_dag.WORKLOAD, etl_statemachine.WORKLOAD,
    expense_replay.WORKLOAD, expense_dag.WORKLOAD, expense_statemachine.WORKLOAD,
    subscription_replay.WORKLOAD, subscription_dag.WORKLOAD, subscription_statemachine.WORKLOAD,
    kyc_replay.WORKLOAD, kyc_dag.WORKLOAD, kyc_statemachine.WORKLOAD,
    thumbnails_replay.WORKLOAD, thumbnails_dag.WORKLOAD, thumbnails_statemachine.WORKLOAD,
)


class UnknownWorkloadError(WorkflowCanvasError):
    """A workload, engine or scenario name the registry does not have."""


def _by_name(versions: tuple[Workload, ...]) -> Mapping[WorkloadName, Mapping[EngineName, Workload]]:
    table: dict[WorkloadName, dict[EngineName, Workload]] = {}
    for v in versions:
        engines = table.setdefault(v.name, {})
        if v.engine in engines:
            raise ValueError(f"workload {v.name!r} is registered twice on {v.engine}")
        engines[v.engine] = v
    return MappingProxyType({name: MappingProxyType(engines) for name, engines in table.items()})


#: Runnable workload name → its version on each engine.
WORKLOADS: Mapping[WorkloadName, Mapping[EngineName, Workload]] = _by_name(_VERSIONS)


def versions(workload: str) -> Mapping[EngineName, Workload]:
    """The engines `workload` is written for, each with its version."""
    try:
        return WORKLOADS[WorkloadName(workload)]
    except (ValueError, KeyError):
        raise UnknownWorkloadError(f"unknown workload {workload!r}; choose one of: {', '.join(WORKLOADS)}") from None


def engine_name(engine: str) -> EngineName:
    """`engine` as one of the three engine names, or an error that lists them."""
    for name in ENGINES:
        if name == engine:
            return name
    raise UnknownWorkloadError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")


def workload_version(workload: str, engine: str) -> Workload:
    """`workload` written for `engine` (the engine's name is checked first)."""
    name = engine_name(engine)
    written = versions(workload)
    if name not in written:
        raise UnknownWorkloadError(f"workload {workload!r} is not written for {engine}; it runs on: {', '.join(written)}")
    return written[name]
