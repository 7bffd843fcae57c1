"""Workload C, the expense approval, on all three engines: the payment service's ledger decides."""

from __future__ import annotations

import pytest

from engines.trace import OutcomeStatus
from workloads.expense_approval.claim import CLAIM, CLAIM_ID, ClaimError, Inbox, check_claim
from workloads.runner import run_side_by_side, run_workload, scenarios

ENGINES = ("replay", "dag", "statemachine")


def _emails(run) -> list[str]:
    return [e.detail for e in run.ledger.of("email", CLAIM_ID)]


def test_every_engine_offers_the_three_scenarios():
    assert scenarios("expense-approval") == ["approve", "reject", "no-answer"]


@pytest.mark.parametrize("engine", ENGINES)
def test_approve_pays_180_once_and_tells_the_employee(engine):
    run = run_workload("expense-approval", engine, "approve")
    assert run.ledger.paid_out_cents(CLAIM_ID) == 18_000
    assert len(run.ledger.of("payout", CLAIM_ID)) == 1
    assert run.outcome.charged_cents == run.outcome.refunded_cents == 0
    emails = _emails(run)
    assert emails[0].startswith(f"to {CLAIM['manager']}: approve conference ticket $180.00")
    assert emails[1:] == [f"to {CLAIM['employee']}: your claim was approved and paid"]
    assert run.outcome.emailed == 2
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert run.observed.paid_out_cents == run.outcome.result["paid_out_cents"] == 18_000
    payout = run.ledger.of("payout", CLAIM_ID)[0]
    assert payout.at.day == 2  # day 1: when the manager answered (EPOCH is Jan 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_reject_pays_nothing_and_tells_the_employee(engine):
    run = run_workload("expense-approval", engine, "reject")
    assert run.ledger.paid_out_cents(CLAIM_ID) == 0
    assert _emails(run)[1:] == [f"to {CLAIM['employee']}: your claim was rejected"]
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert run.observed.decision == "rejected"


@pytest.mark.parametrize("engine", ENGINES)
def test_no_answer_times_out_after_three_days_and_pays_nothing(engine):
    run = run_workload("expense-approval", engine, "no-answer")
    assert run.ledger.paid_out_cents(CLAIM_ID) == 0
    notice = run.ledger.of("email", CLAIM_ID)[-1]
    assert "auto-rejected" in notice.detail and notice.detail.startswith(f"to {CLAIM['employee']}")
    assert 3.0 <= (notice.at - run.ledger.of("email", CLAIM_ID)[0].at).total_seconds() / 86400 < 3.01
    assert run.outcome.status is OutcomeStatus.TIMED_OUT
    assert run.observed.inbox["decision"] is None


@pytest.mark.parametrize("engine", ENGINES)
def test_an_answer_after_the_window_changes_nothing(engine):
    run = run_workload("expense-approval", engine, "approve", day=5)
    assert run.ledger.paid_out_cents(CLAIM_ID) == 0
    assert run.outcome.status is OutcomeStatus.TIMED_OUT
    assert any("after the 3-day window" in p for p in run.outcome.problems)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_answer_day_moves_the_payout(engine):
    run = run_workload("expense-approval", engine, "approve", day=2.5)
    payout = run.ledger.of("payout", CLAIM_ID)[0]
    assert 2.5 <= (payout.at - run.ledger.of("email", CLAIM_ID)[0].at).total_seconds() / 86400 < 2.51


def test_only_the_dag_holds_a_worker_slot_while_waiting():
    runs = run_side_by_side("expense-approval", "approve")
    assert runs["replay"].outcome.slot_seconds == runs["statemachine"].outcome.slot_seconds == 0
    dag = runs["dag"]
    assert dag.dag.slot_seconds_by_task["wait_for_decision"] >= 86_400  # a whole day of one slot
    assert dag.dag.pokes_by_task["wait_for_decision"] > 1000
    assert any("held a worker slot" in p for p in dag.outcome.problems)


def test_each_engine_waits_in_its_own_vocabulary():
    runs = run_side_by_side("expense-approval", "no-answer")
    replay_kinds = [e.kind for e in runs["replay"].trace]
    assert "TimerStarted" in replay_kinds and "TimerFired" in replay_kinds
    sm_types = [h["type"] for h in runs["statemachine"].statemachine.history]
    assert "TaskTimedOut" in sm_types
    entered = [h.get("state") for h in runs["statemachine"].statemachine.history if h["type"].endswith("StateEntered")]
    assert entered == ["CheckClaim", "AskManager", "AutoReject", "TimedOut"]
    dag = runs["dag"].dag
    assert dag.task_states["wait_for_decision"] == "failed" and dag.task_states["escalate"] == "success"
    assert dag.task_states["pay_expense"] == "upstream_failed" and dag.run_state == "failed"


def test_the_dag_branch_skips_the_path_not_taken():
    states = run_workload("expense-approval", "dag", "reject").dag.task_states
    assert states["pay_expense"] == states["notify_approved"] == states["escalate"] == "skipped"
    assert states["notify_rejected"] == "success"


def test_the_statemachine_answer_travels_by_task_token():
    run = run_workload("expense-approval", "statemachine", "approve")
    assert run.observed.inbox["task_token"]  # the one-time token the manager's answer came back with
    succeeded = [h for h in run.statemachine.history if h["type"] == "TaskSucceeded"]
    assert succeeded and "approve" in str(succeeded[0])


def test_the_replay_answer_is_a_signal_in_the_history():
    run = run_workload("expense-approval", "replay", "reject")
    signals = [h for h in run.replay.history if h["type"] == "WorkflowExecutionSignaled"]
    assert len(signals) == 1 and signals[0]["attributes"]["signal_name"] == "decide"
    assert run.observed.status_before_answer["step"].startswith("waiting for decide")


def test_claim_check_and_inbox_refuse_bad_input():
    with pytest.raises(ClaimError, match="positive"):
        check_claim({"claim_id": "X", "amount_cents": -5})
    with pytest.raises(ClaimError, match="over the"):
        check_claim({"claim_id": "X", "amount_cents": 10_000_000})
    from engines.clock import EPOCH
    from engines.store import open_store

    inbox = Inbox(open_store(":memory:"))
    with pytest.raises(ClaimError, match="nobody asked"):
        inbox.answer("EXP-1", "approve", EPOCH)
    inbox.ask("EXP-1", EPOCH)
    with pytest.raises(ClaimError, match="'approve' or 'reject'"):
        inbox.answer("EXP-1", "maybe", EPOCH)  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_negative_answer_day_is_refused(engine):
    with pytest.raises(ClaimError, match="--day must be between 0"):
        run_workload("expense-approval", engine, "approve", day=-1)


def test_unknown_scenario_is_a_clear_error():
    with pytest.raises(Exception, match="no scenario 'maybe'"):
        run_workload("expense-approval", "replay", "maybe")
