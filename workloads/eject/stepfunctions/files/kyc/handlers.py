"""Lambda handlers behind the KYC review's state machine (statemachine.asl.json).

One function per Lambda (`Handler` = `handlers.<name>`, see resources.json), each calling the
case's own steps (`workloads.kyc.case`) over the same services and case file (kyc_documents,
kyc_reviews) the mini-engines use. `ask_reviewer` is AwaitReview's `.waitForTaskToken` function:
it puts the case in the reviewer's queue with the one-time task token and emails the reviewer.
The queue then heartbeats the open case daily, the reviewer's decision answers the token with
SendTaskSuccess, and a customer's new upload fails it with KYC.NewDocuments (deploy.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import canvas_services

from workloads.kyc import case as k

#: The time the services stamp their ledger with: the Lambda runtime's wall clock. A run on
#: virtual time (`workflow-canvas run --on real` against moto) sets its own clock here.
clock: Callable[[], datetime] = canvas_services.utcnow


def case_file() -> k.CaseFile:
    return k.CaseFile(canvas_services.store())


def check_documents(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return case_file().check_latest(clock())


def ask_reviewer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    case, version, now = event["case"], int(event["documents_version"]), clock()
    case_file().ask(version, now, token=event["TaskToken"])
    return k.ask_reviewer(canvas_services.services(), case, version, k.ask_key(case["case_id"], version), now)


def notify_customer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return k.notify_customer(canvas_services.services(), event["case"], event["outcome"],
                             event.get("idempotency_key"), clock())


def escalate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return k.escalate(canvas_services.services(), case_file(), event["case"], event.get("idempotency_key"), clock())


def review_token() -> str:
    """The task token of the case's open review (KycError when the queue holds none)."""
    row = case_file().review()
    if row is None or row["task_token"] is None:
        raise k.KycError(f"case {k.CASE_ID}: the reviewer's queue holds no task token to answer with")
    return row["task_token"]


def open_review_token() -> str | None:
    """The token the queue's daily sweep heartbeats: the review still waiting for a decision."""
    row = case_file().review()
    return row["task_token"] if row is not None and row["task_token"] and row["decision"] is None else None
