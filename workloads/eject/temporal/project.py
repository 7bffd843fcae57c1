"""An exported temporalio project, imported into this process the way `python worker.py` imports it.

The export's modules import each other by their file names (`import activities`, `from workflows
import ...`, `import canvas_services`), as a project run from its own directory does. Every
workload's export uses the same file names, so one process holding several exports imports each
under its own directory on sys.path and then takes the modules out of `sys.modules` again: the
module objects keep their references to each other, and the next export's `workflows` is its own.
Each workload's export is written and imported once per process (`ExportedProject.load`).
"""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from workloads.eject.real import RealRunError
from workloads.eject.temporal.export import export

#: the export's own modules, by the names its files import each other with
MODULE_NAMES = ("canvas_services", "activities", "workflows", "worker")
_lock = threading.Lock()
_loaded: dict[str, ExportedProject] = {}


@dataclass(frozen=True)
class ExportedProject:
    """One workload's export on disk and its modules, imported."""

    workload: str
    directory: Path
    canvas_services: ModuleType
    activities: ModuleType
    workflows: ModuleType
    worker: ModuleType

    @classmethod
    def load(cls, workload: str, work_dir: Path) -> ExportedProject:
        """The workload's export in this process: written under `work_dir` and imported on first use."""
        with _lock:
            if workload not in _loaded:
                directory = Path(work_dir) / "export" / workload
                if not (directory / "workflows.py").is_file():
                    export(workload, directory)
                _loaded[workload] = cls._import(workload, directory)
            return _loaded[workload]

    @classmethod
    def _import(cls, workload: str, directory: Path) -> ExportedProject:
        saved = {name: sys.modules.pop(name) for name in MODULE_NAMES if name in sys.modules}
        sys.path.insert(0, str(directory))
        try:
            modules = {name: importlib.import_module(name) for name in MODULE_NAMES}
        except Exception as exc:
            raise RealRunError(f"{directory}: the exported temporalio project does not import: "
                               f"{type(exc).__name__}: {exc}") from exc
        finally:
            sys.path.remove(str(directory))
            for name in MODULE_NAMES:
                sys.modules.pop(name, None)
            sys.modules.update(saved)
        return cls(workload, directory, **modules)
