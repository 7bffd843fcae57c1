"""The expense claim as a Temporal workflow (temporalio): ask the manager, wait up to 3 days.

`ExpenseWorkflow.run` checks the claim, asks the manager, then waits for the `decide` signal with
`workflow.wait_condition(..., timeout=3 days)`: while it waits the workflow holds no worker, and
whichever comes first — the manager's answer or the durable timer — is recorded in the history
and decides the branch: approved → PayExpense, then NotifyEmployee; rejected or no answer in time
→ NotifyEmployee only.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import activities
    from workloads.expense_approval.claim import DECIDE_SIGNAL, DECISION_WINDOW, STATUS_QUERY, ClaimOutcome

Claim = dict[str, Any]

#: Every activity attempt must finish within this (the mini-engine's default start-to-close).
START_TO_CLOSE = timedelta(seconds=10)
#: Money moves: retry a sick payment API, never a refused claim or a declined card.
PAYOUT_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=["ClaimError", "CardDeclined"])
#: Temporal's default policy, written out (1 s, ×2, at most 100 s apart, unlimited attempts).
DEFAULT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=100))


@workflow.defn(name="expense-approval")
class ExpenseWorkflow:
    """Check → ask the manager → wait up to 3 days for `decide` → pay + notify, or notify only."""

    def __init__(self) -> None:
        self._decision: str | None = None
        self._state: dict[str, str] = {"step": "CheckClaim"}

    @workflow.run
    async def run(self, claim: Claim) -> dict:
        self._state = {"step": "CheckClaim", "claim_id": claim["claim_id"]}
        await workflow.execute_activity(activities.check_claim, claim, activity_id="check",
                                        start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
        self._state["step"] = "AskManager"
        await workflow.execute_activity(activities.ask_manager, claim, activity_id="ask-manager",
                                        start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
        self._state["step"] = f"waiting for {DECIDE_SIGNAL} ({DECISION_WINDOW.days} days)"
        paid = 0
        try:
            await workflow.wait_condition(lambda: self._decision is not None, timeout=DECISION_WINDOW)
        except asyncio.TimeoutError:
            outcome = ClaimOutcome.TIMED_OUT
        else:
            if self._decision == "approve":
                self._state["step"] = "PayExpense"
                payout = await workflow.execute_activity(activities.pay_expense, claim, activity_id="pay",
                                                         start_to_close_timeout=START_TO_CLOSE,
                                                         retry_policy=PAYOUT_RETRY)
                outcome, paid = ClaimOutcome.APPROVED, payout["amount_cents"]
            else:
                outcome = ClaimOutcome.REJECTED
        self._state["step"] = "NotifyEmployee"
        await workflow.execute_activity(activities.notify_employee, args=[claim, outcome], activity_id="notify",
                                        start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
        self._state["step"] = outcome
        return {"claim_id": claim["claim_id"], "decision": outcome, "paid_cents": paid}

    @workflow.signal(name=DECIDE_SIGNAL)
    def decide(self, decision: str) -> None:
        """The manager's answer: 'approve' or 'reject' (the first one counts)."""
        if self._decision is None:
            self._decision = decision

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> dict[str, str]:
        return dict(self._state)
