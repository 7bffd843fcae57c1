"""Lambda handlers behind the expense approval's state machine (statemachine.asl.json).

One function per Lambda (`Handler` = `handlers.<name>`, see resources.json), each calling the
claim's own steps (`workloads.expense_approval.claim`) over the same services and approvals inbox
the mini-engines use. `ask_manager` is the `.waitForTaskToken` task's function: it stores the
one-time task token in the approvals inbox and emails the manager; the manager's answer reads the
token back (`manager_answers`) and deploy.py `answer` sends SendTaskSuccess with the decision.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import canvas_services

from workloads.expense_approval import claim as c

#: The time the services stamp their ledger with: the Lambda runtime's wall clock. A run on
#: virtual time (`workflow-canvas run --on real` against moto) sets its own clock here.
clock: Callable[[], datetime] = canvas_services.utcnow


def inbox() -> c.Inbox:
    return c.Inbox(canvas_services.store())


def check_claim(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return c.check_claim(event)


def ask_manager(event: dict[str, Any], context: Any) -> dict[str, Any]:
    claim = event["claim"]
    now = clock()
    inbox().ask(claim["claim_id"], now, token=event["TaskToken"])
    return c.ask_manager(canvas_services.services(), claim, f"expense-{claim['claim_id']}-ask-manager", now)


def pay_expense(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return c.pay_expense(canvas_services.services(), event, event.get("idempotency_key"), clock())


def notify_employee(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return c.notify_employee(canvas_services.services(), event["claim"], event["outcome"],
                             event.get("idempotency_key"), clock())


def manager_answers(claim_id: str, decision: c.Decision) -> str:
    """The manager clicked approve or reject: record it in the inbox, give back the task token
    SendTaskSuccess answers with (ClaimError when nobody asked)."""
    row = inbox().answer(claim_id, decision, clock())
    if row["task_token"] is None:
        raise c.ClaimError(f"claim {claim_id}: the approvals inbox holds no task token to answer with")
    return row["task_token"]
