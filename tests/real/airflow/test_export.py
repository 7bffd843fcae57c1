"""`export WORKLOAD --to airflow DIR` writes a dags-folder-ready export; bad requests fail plainly.

These need no Airflow: they read the files the export writes and the errors our side raises
before any Airflow process starts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workloads.eject import adapter
from workloads.eject.airflow import SUPPORTED, export, run
from workloads.eject.airflow.scenarios import UnsupportedWorkload
from workloads.eject.airflow.venv import VENV_ENV, ensure_venv
from workloads.eject.real import RealEngineUnavailable
from workloads.runner import run_workload, scenarios


@pytest.mark.parametrize("workload", SUPPORTED)
def test_the_export_is_a_dag_file_with_the_adapter_and_a_readme(tmp_path, workload):
    files = export(workload, tmp_path)
    names = sorted(p.name for p in files)
    dag_id = workload.replace("-", "_")
    assert names == sorted([f"{dag_id}.py", "canvas_services.py", ".airflowignore", "README.md"])
    assert all(p.is_file() and p.parent == tmp_path for p in files)
    assert (tmp_path / "canvas_services.py").read_text() == Path(adapter.__file__).read_text()
    assert (tmp_path / ".airflowignore").read_text().strip() == r"canvas_services\.py"
    source = (tmp_path / f"{dag_id}.py").read_text()
    tree = ast.parse(source)  # real Python, and Airflow 3's own imports, not the DAG engine's
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "airflow.sdk" in imported and not any(m and m.startswith("engines.dag") for m in imported)
    readme = (tmp_path / "README.md").read_text()
    assert f"airflow dags test {dag_id}" in readme and "CANVAS_DB" in readme


@pytest.mark.parametrize("workload", SUPPORTED)
def test_the_exported_dag_names_every_task_of_the_dag_engines_version(tmp_path, workload):
    """Same task_ids, so a run compares task by task (the DAG engine's happy path names them all)."""
    export(workload, tmp_path)
    source = (tmp_path / f"{workload.replace('-', '_')}.py").read_text()
    functions = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
    task_ids = {kw.value.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
                for kw in n.keywords if kw.arg == "task_id" and isinstance(kw.value, ast.Constant)}
    scenario = scenarios(workload)[0]
    # a mapped task's instances are named task_id[map_index] in the grid: the task_id is what the file names
    mini_tasks = {t.split("[", 1)[0] for t in run_workload(workload, "dag", scenario).dag.task_states}
    assert mini_tasks <= functions | task_ids


def test_an_unknown_workload_or_scenario_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(UnsupportedWorkload, match="no Airflow export"):
        export("no-such-workload", tmp_path)
    with pytest.raises(UnsupportedWorkload, match="no scenario 'sunny'.*choose one of: happy"):
        run("order-1001", "sunny", work_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_named_venv_that_is_not_one_is_unavailable_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv(VENV_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(RealEngineUnavailable, match=f"{VENV_ENV}=.*nowhere is not a virtual environment"):
        ensure_venv()
