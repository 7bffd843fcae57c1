"""The side-by-side runner: one workload, one scenario, three engines, one virtual timeline.

Every engine's version of a workload starts at day 0 (`engines.clock.EPOCH`) on a fresh virtual
clock and its own in-memory database, so the three traces line up by time and nothing one engine
does can leak into another's ledger. A run of 30 virtual days takes well under a second, which is
why a user's action at day N (cancel, crash) is simply a re-run with that scenario and day.

The versions come from `workloads.registry`; each says which options it takes, so one
`RunOptions` can carry every engine's knobs and each version reads its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from engines.trace import ENGINES, TraceEvent
from workloads.options import Option, RunOptions
from workloads.registry import WORKLOADS, UnknownWorkloadError, engine_name, workload_version
from workloads.runs import Listener, WorkloadName, WorkloadRun, failed_run

__all__ = ["WORKLOADS", "UnknownWorkloadError", "run_side_by_side", "run_workload", "scenarios"]


def scenarios(workload: str) -> list[str]:
    """The scenarios every engine's version of the workload supports, in the order they were written."""
    lists = [workload_version(workload, e).scenarios for e in ENGINES]
    return [s for s in lists[0] if all(s in other for other in lists[1:])]


def run_workload(workload: str, engine: str, scenario: str = "happy", *, day: float | None = None,
                 listener: Listener | None = None, options: RunOptions | None = None) -> WorkloadRun:
    """Run one workload under one scenario on one engine.

    `day` and `listener` override the ones in `options`. Options the version does not take (a
    version gate means nothing to a DAG) are not read, so one call can carry every engine's
    knobs; only a day given to a version with no day to act on is refused.
    """
    _check(workload, engine, scenario, day, options)
    options = options or RunOptions()
    if day is not None:
        options = replace(options, day=day)
    if listener is not None:
        options = replace(options, listener=listener)
    return workload_version(workload, engine).run(scenario, options)


def run_side_by_side(workload: str, scenario: str = "happy", *, day: float | None = None,
                     engines: Iterable[str] = ENGINES, listener: Listener | None = None,
                     options: RunOptions | None = None) -> dict[str, WorkloadRun]:
    """The same workload and scenario on each engine; traces share one timeline from day 0.

    The request is checked for every engine before any runs (an unknown scenario or a refused
    `--day` is the caller's mistake: one error, nothing run). Then each engine runs alone: if
    one raises, that engine's column is a failed run carrying the error and the events it had
    emitted, and the other engines' runs are untouched — one engine's error never stands in for
    another's trace.
    """
    engines = list(engines)
    for engine in engines:
        _check(workload, engine, scenario, day, options)
    return {engine: _isolated(workload, engine, scenario, day, listener, options) for engine in engines}


def _check(workload: str, engine: str, scenario: str, day: float | None, options: RunOptions | None) -> None:
    """Refuse what `run_workload` would refuse, without running anything."""
    version = workload_version(workload, engine)
    if scenario not in version.scenarios:
        raise UnknownWorkloadError(f"workload {workload!r} has no scenario {scenario!r} on {engine}; "
                                   f"choose one of: {', '.join(version.scenarios)}")
    given = day if day is not None else (options.day if options else None)
    if given is not None and Option.DAY not in version.takes:
        raise UnknownWorkloadError(f"workload {workload!r} on {engine} takes no --day")


def _isolated(workload: str, engine: str, scenario: str, day: float | None, listener: Listener | None,
              options: RunOptions | None) -> WorkloadRun:
    """One engine's run; an exception it raises becomes that engine's failed run."""
    emitted: list[TraceEvent] = []

    def follow(event: TraceEvent) -> None:
        emitted.append(event)
        if listener is not None:
            listener(event)

    try:
        return run_workload(workload, engine, scenario, day=day, listener=follow, options=options)
    except Exception as exc:  # an engine's failure is its own outcome, never the other columns'
        return failed_run(WorkloadName(workload), engine_name(engine), scenario, exc, emitted)
