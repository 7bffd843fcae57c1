"""Eject: every bundled workload written for the real engines, run there, and set beside ours.

`export(workload, to, out_dir)` writes a runnable project in the real system's idiom (a temporalio
worker, an Airflow 3 DAG file, an ASL definition with its Lambda handlers), each reaching the same
services through `canvas_services.py` (`adapter.py`). `run_real(workload, scenario, system)` runs
that export on the real engine (Temporal's dev server with time skipping, Airflow 3's `dag.test()`
in its own virtual environment, Step Functions on moto or an endpoint) and `compare` lists every
difference from the mini-engine that teaches the same model. The real engines come with the
`real` extra; each system's package is imported only when asked for.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from engines.errors import WorkflowCanvasError
from workloads.eject.comparison import Comparison, Difference, compare
from workloads.eject.real import (
    MINI_ENGINE,
    RealEngineUnavailable,
    RealRun,
    RealRunError,
    RealSystem,
)


__all__ = [
    "MINI_ENGINE", "Comparison", "Difference", "ExportError", "RealEngineUnavailable", "RealRun", "RealRunError",
    "RealSystem", "compare", "comparison_json", "export", "real_system", "run_and_compare", "run_real", "supported",
    "system_package",
]


class ExportError(WorkflowCanvasError):
    """An export that cannot be written: an unknown system or workload, or a directory in the way."""


#: Each real system's package (a fixed table: no module name is ever built from user input).
_PACKAGES: dict[RealSystem, str] = {
    RealSystem.TEMPORAL: "workloads.eject.temporal",
    RealSystem.AIRFLOW: "workloads.eject.airflow",
    RealSystem.STEPFUNCTIONS: "workloads.eject.stepfunctions",
}


def real_system(name: str) -> RealSystem:
    """`name` as a RealSystem, or an error listing the three."""
    try:
        return RealSystem(name)
    except ValueError:
        raise ExportError(f"unknown real system {name!r}; choose one of: {', '.join(s.value for s in RealSystem)}") from None


def system_package(system: RealSystem) -> ModuleType:
    """The package that exports to and runs on `system` (its export/run/mini_steps/mini_status)."""
    return importlib.import_module(_PACKAGES[system])


def supported(system: RealSystem, workload: str) -> bool:
    return workload in tuple(system_package(system).SUPPORTED)


def export(workload: str, to: str | RealSystem, out_dir: Path) -> list[Path]:
    """Write `workload` for the real system `to` into `out_dir` (new or empty: nothing is overwritten)."""
    from workloads.registry import versions

    versions(workload)  # an unknown workload is an error that lists the choices
    system = to if isinstance(to, RealSystem) else real_system(to)
    package = system_package(system)
    if workload not in tuple(package.SUPPORTED):
        raise ExportError(f"{workload} is not exported to {system} yet; exported: {', '.join(package.SUPPORTED)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir}: not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir}: the directory is not empty; export writes into a new or empty directory "
                          "so nothing already there is overwritten")
    out_dir.mkdir(parents=True, exist_ok=True)
    return list(package.export(workload, out_dir))


def run_real(workload: str, scenario: str, system: RealSystem, *, work_dir: Path, **options: Any) -> RealRun:
    """The exported `workload` under `scenario` on the real `system` (RealEngineUnavailable if absent)."""
    package = system_package(system)
    if workload not in tuple(package.SUPPORTED):
        raise ExportError(f"{workload} is not exported to {system} yet; exported: {', '.join(package.SUPPORTED)}")
    return package.run(workload, scenario, work_dir=Path(work_dir), **options)


def run_and_compare(workload: str, scenario: str, system: RealSystem, *, work_dir: Path,
                    **options: Any) -> Comparison:
    """The scenario on the mini-engine that teaches `system`'s model and on the real `system`, compared."""
    from workloads.runner import run_workload

    package = system_package(system)
    real = run_real(workload, scenario, system, work_dir=work_dir, **options)
    mini = run_workload(workload, MINI_ENGINE[system], scenario)
    mini_steps = package.mini_steps(mini)
    comparable = getattr(package, "comparable_steps", None)  # a system whose steps need a projection to compare
    if comparable is not None and isinstance(real.steps, list) and isinstance(mini_steps, list):
        real.steps, mini_steps = comparable(real.steps), comparable(mini_steps)
    return compare(mini, real, mini_status=package.mini_status(mini), mini_steps=mini_steps)


def comparison_json(workload: str, scenario: str, system: RealSystem, **options: Any) -> dict[str, Any]:
    """`run_and_compare` in a fresh working directory, as the JSON the CLI prints and the run view
    draws; a workload not exported to `system` is {"skipped": why}, a real engine that cannot be had
    here {"unavailable": why}."""
    import tempfile

    if not supported(system, workload):
        return {"skipped": f"{workload} is not exported to {system.value} yet"}
    try:
        with tempfile.TemporaryDirectory(prefix=f"canvas-{system.value}-") as work:
            return run_and_compare(workload, scenario, system, work_dir=Path(work), **options).to_json()
    except RealEngineUnavailable as exc:
        return {"unavailable": str(exc)}
