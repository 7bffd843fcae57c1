"""Cards D/E/F exported to real Airflow 3.3: dag.test() gives the DAG engine's task states.

For every scenario of the KYC review and the thumbnail fan-out, the exported DAG file under
Airflow 3.3's dag.test() ends with the same task states (and tries), the same DAG run state and
the same ledger as the DAG engine's run, and leaves the same rows in the workload's own tables
(the reviewer's queue, the image store). Where Airflow truly differs, the difference is listed
below with why: the test fails if it goes away or if any other appears.

thumbnail-fan-out's batch-1000 runs here in a smaller size: 3 of its 1,000 uploads, 2 a DAG run
(two runs, 20 task instances). dag.test() runs each task instance in turn (~0.2 s each), so the whole
batch (20 runs of 50, 6,020 task instances) takes many minutes; the export and `run()` take it whole
(`BatchSize()` by default), in the same chunked runs.

Not here yet: subscription-renewal (36 monthly DAG runs made by the scheduler's catchup, which
dag.test() does not do: it runs one DAG run).
"""

from __future__ import annotations

import ast
from functools import cache

import pytest

from workloads.eject.airflow import mini_status, mini_steps
from workloads.eject.airflow.scenarios import BatchSize
from workloads.eject.comparison import Difference, compare
from workloads.eject.real import RealRun, RealSystem
from workloads.runner import run_workload
from workloads.runs import WorkloadRun

#: One Airflow batch serves every test here: under pytest-xdist (--dist loadgroup) keep them together.
pytestmark = pytest.mark.xdist_group("airflow-real")

CASES = [("kyc-review", "approved"), ("kyc-review", "new-documents"), ("kyc-review", "no-answer"),
         ("thumbnail-fan-out", "one-upload"), ("thumbnail-fan-out", "flaky-size")]
IDS = [f"{w}:{s}" for w, s in CASES]
#: batch-1000 in a smaller size (see above): 3 uploads, 2 per DAG run.
SMALL_BATCH = BatchSize(uploads=3, chunk=2)

#: What Airflow 3.3's dag.test() does differently from the DAG engine, scenario by scenario: none.
KNOWN_DIFFERENCES: dict[tuple[str, str], list[Difference]] = {}


@pytest.mark.parametrize(("workload", "scenario"), [("kyc-review", "approved"), ("thumbnail-fan-out", "one-upload")])
def test_the_export_is_a_dag_file_naming_every_task_of_the_dag_engines_version(tmp_path, workload, scenario):
    """Same task_ids as the DAG engine's version, so a run compares task by task (no Airflow needed)."""
    from workloads.eject.airflow import export

    dag_id = workload.replace("-", "_")
    files = export(workload, tmp_path)
    assert sorted(p.name for p in files) == sorted([f"{dag_id}.py", "canvas_services.py", ".airflowignore", "README.md"])
    tree = ast.parse((tmp_path / f"{dag_id}.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "airflow.sdk" in imported and not any(m and m.startswith("engines.dag") for m in imported)
    named = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    named |= {kw.value.value for n in ast.walk(tree) if isinstance(n, ast.Call)
              for kw in n.keywords if kw.arg == "task_id" and isinstance(kw.value, ast.Constant)}
    mini_tasks = {task.split("[")[0] for task in _mini(workload, scenario).dag.task_states}
    assert mini_tasks <= named
    assert f"airflow dags test {dag_id}" in (tmp_path / "README.md").read_text()


@pytest.fixture(scope="module")
def def_runs(airflow_runs: dict[tuple[str, str], RealRun]) -> dict[tuple[str, str], RealRun]:
    """These cases' runs, from the session's one Airflow batch (conftest.py; SMALL_BATCH there too)."""
    return airflow_runs


@cache
def _mini(workload: str, scenario: str) -> WorkloadRun:
    """The DAG engine's run of the scenario (once per session: several tests read it)."""
    return run_workload(workload, "dag", scenario)


@pytest.mark.parametrize(("workload", "scenario"), CASES, ids=IDS)
def test_same_task_states_run_state_and_ledger_as_the_dag_engine(def_runs, workload, scenario):
    real = def_runs[(workload, scenario)]
    mini = _mini(workload, scenario)
    c = compare(mini, real, mini_status=mini_status(mini), mini_steps=mini_steps(mini))
    assert c.differences == KNOWN_DIFFERENCES.get((workload, scenario), []), "\n".join(c.lines() + real.notes)
    assert real.system is RealSystem.AIRFLOW and real.engine_version.startswith("Airflow 3.3")


@pytest.mark.parametrize(("workload", "scenario"), CASES, ids=IDS)
def test_same_tries_per_task_instance_as_the_dag_engine(def_runs, workload, scenario):
    """Each (mapped) task instance took as many tries on Airflow: retries are per task instance."""
    mini_tries: dict[str, int] = {}
    for row in _mini(workload, scenario).dag.grid:
        index = row.get("map_index", -1)
        key = row["task_id"] if index is None or index < 0 else f"{row['task_id']}[{index}]"
        mini_tries[key] = max(mini_tries.get(key, 0), int(row["try_number"]))
    real_tries = {task: ti["try_number"] for task, ti in def_runs[(workload, scenario)].history["task_instances"].items()}
    assert real_tries == mini_tries


def test_the_reviewer_decides_on_the_documents_the_one_check_read(def_runs):
    """New documents on day 5 reach no running DAG run: set 2 is never checked, the decision is on set 1."""
    real = def_runs[("kyc-review", "new-documents")]
    mini = _mini("kyc-review", "new-documents").observed
    assert real.output == {"decision": "approve", "decided_version": 1, "escalated": False, "unchecked_versions": [2]}
    assert real.output["unchecked_versions"] == mini.lost_versions and real.output["decided_version"] == mini.decided_version
    assert any(n.startswith("day 5: the customer uploaded document set 2") for n in real.notes)
    assert any(n.startswith("day 9: the reviewer decided 'approve' on documents v1") for n in real.notes)


def test_no_answer_fails_the_sensor_on_day_14_and_escalates(def_runs):
    """The raised sensor timeout: 14 days, not Airflow's 7-day default; escalate runs on one_failed."""
    real = def_runs[("kyc-review", "no-answer")]
    wait = real.history["task_instances"]["wait_for_review"]
    assert wait["state"] == "failed" and 14.0 <= wait["end_day"] < 14.01
    assert real.steps["escalate"] == "success" and real.output["escalated"] is True
    assert real.output["decision"] is None and real.ledger["emailed"] == 2  # the reviewer asked, the KYC lead told


@pytest.mark.parametrize("scenario", ["one-upload", "flaky-size"])
def test_the_image_store_holds_the_same_outputs_and_retried_calls(def_runs, scenario):
    real = def_runs[("thumbnail-fan-out", scenario)]
    mini = _mini("thumbnail-fan-out", scenario).observed
    assert {k: v for k, v in real.output.items() if k != "retried"} == mini.counts
    assert real.output["retried"] == mini.retried_calls
    assert real.output["retried"] == ({"upload-0001 w512": 3} if scenario == "flaky-size" else {})


def test_a_smaller_batch_is_chunked_into_dag_runs_that_end_as_the_dag_engines(def_runs):
    """batch-1000's shape, smaller: one DAG run per chunk (its conf), every mapped task instance
    success in one try, every upload run complete with its six outputs, as in the DAG engine's
    20 runs of the whole batch."""
    real = def_runs[("thumbnail-fan-out", "batch-1000")]
    mini = _mini("thumbnail-fan-out", "batch-1000")
    runs = real.history["dag_runs"]
    assert [r["conf"]["upload_ids"] for r in runs] == [["upload-0001", "upload-0002"], ["upload-0003"]]
    assert [r["task_states"] for r in runs] == [{"success": 13}, {"success": 7}]  # 1 + 2x5 + 2, 1 + 5 + 1
    assert all(r["state"] == mini_status(mini) and r["tries_over_one"] == 0 for r in runs)
    assert set(mini_steps(mini).values()) == {"success"} and mini.outcome.result["dag_runs"] == 20
    mini_counts = mini.observed.counts
    assert mini_counts["complete_uploads"] == mini_counts["uploads"] == 1000
    assert real.output == {"uploads": 1000, "thumbnails": 15, "manifests": 3, "outputs": 18, "complete_uploads": 3,
                           "retried": {}}


def test_a_batch_size_out_of_bounds_is_refused_before_anything_runs(tmp_path):
    from workloads.eject.airflow import run
    from workloads.eject.airflow.scenarios import UnsupportedWorkload

    with pytest.raises(UnsupportedWorkload, match="uploads per DAG run must be 1 to 50"):
        run("thumbnail-fan-out", "batch-1000", work_dir=tmp_path, batch=BatchSize(uploads=10, chunk=51))
    assert not any(tmp_path.iterdir())
