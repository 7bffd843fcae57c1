"""What the expense claim saw during a run: the decision, the money paid out and the inbox row."""

from __future__ import annotations

from dataclasses import dataclass

from workloads.expense_approval.claim import ApprovalRow, ClaimOutcome, ClaimStatus
from workloads.runs import Observations


@dataclass(frozen=True)
class ExpenseObservations(Observations):
    decision: ClaimOutcome | None                   # None: the run ended before any outcome
    paid_out_cents: int                             # from the payment service's ledger
    inbox: ApprovalRow | None                       # the claim's row in exp_approvals
    day: float | None = None                        # the day the manager was set to answer, if given
    status_before_answer: ClaimStatus | None = None  # replay: getClaimStatus just before the answer
