"""`workflow-canvas export WORKLOAD --to airflow DIR`: an Airflow 3 DAG file, ready for a dags folder.

The DAG files are real files under `files/<dag_id>/` (written in Airflow's idiom: `airflow.sdk`
@dag/@task, the standard provider's sensors, trigger rules), with the same task_ids as the DAG
engine's version in `workloads/<workload>/dag.py`. An export copies one of them with the
`canvas_services.py` adapter the tasks reach the services through, an `.airflowignore` so Airflow
does not parse the adapter as a DAG file, and a README saying how to run it by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from workloads.eject import adapter
from workloads.eject.airflow.scenarios import dag_id

FILES = Path(__file__).resolve().parent / "files"
ADAPTER_NAME = "canvas_services.py"
#: Airflow's dag processor skips what this file lists (regexp syntax, its default).
AIRFLOWIGNORE = "canvas_services\\.py\n"


def dag_file(workload: str) -> Path:
    """The packaged DAG file of a workload (files/<dag_id>/<dag_id>.py)."""
    name = dag_id(workload)
    return FILES / name / f"{name}.py"


def export(workload: str, out_dir: Path) -> list[Path]:
    """Write the workload's Airflow export into `out_dir`; returns the files written.

    `out_dir` is created if missing; files of the same names are replaced, nothing else in it is
    touched (a dags folder may hold other DAGs).
    """
    source = dag_file(workload)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / source.name, out_dir / ADAPTER_NAME, out_dir / ".airflowignore", out_dir / "README.md"]
    shutil.copyfile(source, written[0])
    shutil.copyfile(Path(adapter.__file__ or ""), written[1])
    written[2].write_text(AIRFLOWIGNORE)
    shutil.copyfile(source.parent / "README.md", written[3])
    return written
