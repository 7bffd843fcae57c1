"""`workflow-canvas export WORKLOAD --to temporal DIR`: a runnable temporalio project per workload.

Each export is plain files a Temporal engineer would write: workflows.py (the workflow class),
activities.py (the activities, calling the same services the mini-engine calls), worker.py (the
Worker), starter.py (the client that starts it and sends its signal), a README.md saying how to run
it on a dev server, and canvas_services.py (workloads/eject/adapter.py), the one door to the
services' SQLite file. The sources are real .py files under `files/<workload module>/`, copied as
they are: nothing is generated, so what is tested is what is written out.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from workloads.eject.real import RealRunError

FILES = Path(__file__).resolve().parent / "files"
ADAPTER = Path(__file__).resolve().parent.parent / "adapter.py"
#: workload name → its source folder under files/ (the workload's package name)
MODULES: dict[str, str] = {"order-1001": "order_1001", "expense-approval": "expense_approval",
                           "nightly-etl": "nightly_etl", "kyc-review": "kyc",
                           "thumbnail-fan-out": "thumbnails"}
SUPPORTED: tuple[str, ...] = tuple(MODULES)
#: what every export holds, in the order the README reads them
PROJECT_FILES = ("workflows.py", "activities.py", "worker.py", "starter.py", "README.md")


def source_dir(workload: str) -> Path:
    try:
        return FILES / MODULES[workload]
    except KeyError:
        raise RealRunError(f"{workload} has no temporalio export; exported: {', '.join(SUPPORTED)}") from None


def export(workload: str, out_dir: Path) -> list[Path]:
    """Write `workload`'s temporalio project into `out_dir`; returns the files written."""
    src = source_dir(workload)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PROJECT_FILES:
        written.append(Path(shutil.copyfile(src / name, out_dir / name)))
    written.append(Path(shutil.copyfile(ADAPTER, out_dir / "canvas_services.py")))
    return written
