"""A workload written for one engine, as the runner sees it: the `Workload` protocol.

The runner needs four things from each engine's version of a workload: which workload and
engine it is, the scenarios it plays, the options it takes, and a way to run one scenario with
those options. Each engine module declares them in one `WORKLOAD = WorkloadVersion(...)` next
to its `run()`, and `workloads.registry` lists those declarations explicitly, so nothing is
found by importing module names or reading function signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from engines.trace import EngineName
from workloads.options import Option, RunOptions
from workloads.runs import WorkloadName, WorkloadRun


class Workload(Protocol):
    """One workload written for one engine."""

    @property
    def name(self) -> WorkloadName: ...

    @property
    def engine(self) -> EngineName: ...

    @property
    def scenarios(self) -> tuple[str, ...]:
        """The scenarios the side-by-side runner may play, in the order they were written."""
        ...

    @property
    def takes(self) -> frozenset[Option]:
        """The options this version reads from `RunOptions` (besides db and listener)."""
        ...

    def run(self, scenario: str, options: RunOptions) -> WorkloadRun:
        """Play one scenario on a fresh virtual clock from day 0."""
        ...


@dataclass(frozen=True)
class WorkloadVersion:
    """A `Workload` made of an engine module's declarations and its entry point."""

    name: WorkloadName
    engine: EngineName
    scenarios: tuple[str, ...]
    takes: frozenset[Option]
    entry: Callable[[str, RunOptions], WorkloadRun]

    def run(self, scenario: str, options: RunOptions) -> WorkloadRun:
        return self.entry(scenario, options)
