"""The expense claim's activities for temporalio: the same calls the mini-engine's activities make.

CheckClaim is the submit check; AskManager records the question in the approvals inbox and emails
the manager; PayExpense pays the claim out; NotifyEmployee tells the employee how it ended. The
ones that touch a service pass an idempotency key made from `activity.info()` —
`<workflow id>-<activity id>`, the same on every attempt — so a retried payout pays once. The
services and the inbox live in the SQLite file named by CANVAS_DB (`canvas_services.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

import canvas_services
from workloads.expense_approval import claim as c
from workloads.services.errors import ServiceError

Claim = dict[str, Any]


def _idempotency_key() -> str:
    info = activity.info()
    return f"{info.workflow_id}-{info.activity_id}"


def _now() -> datetime:
    """This attempt's time on the server's clock (virtual under time skipping)."""
    return activity.info().current_attempt_scheduled_time


@contextmanager
def _refusals() -> Iterator[None]:
    """A service's refusal or a refused claim as an ApplicationError the RetryPolicy can match."""
    try:
        yield
    except ServiceError as exc:
        raise ApplicationError(str(exc), type=exc.type_name, non_retryable=not exc.retryable) from None
    except c.ClaimError as exc:  # a claim the check refuses is refused on every attempt
        raise ApplicationError(str(exc), type="ClaimError", non_retryable=True) from None


@activity.defn(name="CheckClaim")
def check_claim(claim: Claim) -> dict:
    with _refusals():
        return c.check_claim(claim)


@activity.defn(name="AskManager")
def ask_manager(claim: Claim) -> dict:
    with _refusals():
        c.Inbox(canvas_services.store()).ask(claim["claim_id"], _now())
        return c.ask_manager(canvas_services.services(), claim, _idempotency_key(), _now())


@activity.defn(name="PayExpense")
def pay_expense(claim: Claim) -> dict:
    with _refusals():
        return c.pay_expense(canvas_services.services(), claim, _idempotency_key(), _now())


@activity.defn(name="NotifyEmployee")
def notify_employee(claim: Claim, outcome: str) -> dict:
    with _refusals():
        return c.notify_employee(canvas_services.services(), claim, outcome, _idempotency_key(), _now())


ACTIVITIES: list[Callable[..., Any]] = [check_claim, ask_manager, pay_expense, notify_employee]
