"""The KYC review as a Temporal workflow (temporalio): check, ask the reviewer, wait up to 14 days.

`KycReviewWorkflow.run` checks the newest documents, asks the compliance reviewer, then waits with
`workflow.wait_condition(a decision on these documents, or newer documents, timeout=14 days)`.
While it waits the workflow holds no worker; the two signals and the durable timer are what wake
it, and whichever comes first is recorded in the history:
- `newDocuments` (the customer uploaded a new set): back through the check, and the reviewer gets
  14 days again for what they are now looking at;
- `reviewDecision` on the documents it checked: NotifyCustomer with the outcome;
- the timer: Escalate to the KYC lead.
`getReviewStatus` answers from the workflow's state at any time, while it waits too. The loop is
bounded by MAX_DOCUMENT_SETS rounds, the most document sets the portal takes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import activities
    from workloads.kyc.case import (
        MAX_DOCUMENT_SETS,
        NEW_DOCUMENTS_SIGNAL,
        REVIEW_DECISION_SIGNAL,
        REVIEW_WINDOW,
        STATUS_QUERY,
        ReviewOutcome,
    )

Case = dict[str, Any]

#: Every activity attempt must finish within this (the mini-engine's default start-to-close).
START_TO_CLOSE = timedelta(seconds=10)
#: Temporal's default policy, written out (1 s, ×2, at most 100 s apart, unlimited attempts).
DEFAULT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=100))


@workflow.defn(name="kyc-review")
class KycReviewWorkflow:
    """Check → ask the reviewer → wait 14 days for `reviewDecision` or `newDocuments` (which loop back)."""

    def __init__(self) -> None:
        self._new_documents: dict[str, Any] | None = None  # the latest newDocuments signal
        self._decision: dict[str, Any] | None = None       # the latest reviewDecision signal
        self._checked = 0
        self._state: dict[str, Any] = {"step": "CheckDocuments"}

    @workflow.run
    async def run(self, case: Case) -> dict:
        self._state = {"step": "CheckDocuments", "case_id": case["case_id"], "documents_version": None,
                       "findings": [], "review_due": None, "checks": 0}
        outcome = ReviewOutcome.ESCALATED
        for round_ in range(1, MAX_DOCUMENT_SETS + 1):
            self._state["step"] = "CheckDocuments"
            check = await workflow.execute_activity(activities.check_documents, case, activity_id=f"check-{round_}",
                                                    start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self._checked = int(check["documents_version"])
            self._state.update(documents_version=self._checked, findings=check["findings"], checks=round_)
            self._state["step"] = "AskReviewer"
            await workflow.execute_activity(activities.ask_reviewer, args=[case, self._checked],
                                            activity_id=f"ask-reviewer-v{self._checked}",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self._state["review_due"] = (workflow.now() + REVIEW_WINDOW).isoformat()
            self._state["step"] = f"waiting for {REVIEW_DECISION_SIGNAL} or {NEW_DOCUMENTS_SIGNAL}"
            more = round_ < MAX_DOCUMENT_SETS  # the last round the portal allows waits for a decision only
            try:
                await workflow.wait_condition(lambda: (more and self._newer_documents()) or self._decided(),
                                              timeout=REVIEW_WINDOW)
            except asyncio.TimeoutError:
                self._state["step"] = "Escalate"
                await workflow.execute_activity(activities.escalate, case, activity_id="escalate",
                                                start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
                break
            if more and self._newer_documents():  # new documents win over a decision made on the old ones
                continue
            assert self._decision is not None
            outcome = ReviewOutcome.APPROVED if self._decision["decision"] == "approve" else ReviewOutcome.REJECTED
            self._state["step"] = "NotifyCustomer"
            await workflow.execute_activity(activities.notify_customer, args=[case, outcome], activity_id="notify",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            break
        self._state["step"] = outcome
        return {"case_id": case["case_id"], "decision": outcome, "documents_version": self._checked,
                "checks": self._state["checks"]}

    def _newer_documents(self) -> bool:
        return self._new_documents is not None and int(self._new_documents["version"]) > self._checked

    def _decided(self) -> bool:
        return self._decision is not None and int(self._decision["documents_version"]) == self._checked

    @workflow.signal(name=NEW_DOCUMENTS_SIGNAL)
    def new_documents(self, sent: dict[str, Any]) -> None:
        """The customer uploaded document set `sent["version"]` (already in kyc_documents)."""
        self._new_documents = sent

    @workflow.signal(name=REVIEW_DECISION_SIGNAL)
    def review_decision(self, answer: dict[str, Any]) -> None:
        """The reviewer decided `answer["decision"]` on documents `answer["documents_version"]`."""
        self._decision = answer

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> dict[str, Any]:
        return {**self._state, "findings": list(self._state.get("findings", []))}
