"""The KYC review's activities for temporalio: the same calls the mini-engine's activities make.

CheckDocuments checks the newest document set in the case file and records that it read it;
AskReviewer puts the case in the reviewer's queue and emails them; NotifyCustomer tells the
customer the outcome; Escalate tells the KYC lead nobody decided. The emails pass an idempotency
key made from `activity.info()` — `<workflow id>-<activity id>`, the same on every attempt — so a
retried attempt sends one email. The case file (kyc_documents, kyc_reviews) and the services live
in the SQLite file named by CANVAS_DB (`canvas_services.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

import canvas_services
from workloads.kyc import case as k
from workloads.services.errors import ServiceError

Case = dict[str, Any]


@cache
def tables() -> k.CaseFile:
    """The case's two tables in the world's store (one per worker process)."""
    return k.CaseFile(canvas_services.store())


def _idempotency_key() -> str:
    info = activity.info()
    return f"{info.workflow_id}-{info.activity_id}"


def _now() -> datetime:
    """This attempt's time on the server's clock (virtual under time skipping)."""
    return activity.info().current_attempt_scheduled_time


@contextmanager
def _refusals() -> Iterator[None]:
    """A service's refusal, or a case the tables refuse, as an ApplicationError the RetryPolicy can match."""
    try:
        yield
    except ServiceError as exc:
        raise ApplicationError(str(exc), type=exc.type_name, non_retryable=not exc.retryable) from None
    except k.KycError as exc:  # the case file refuses it on every attempt alike
        raise ApplicationError(str(exc), type="KycError", non_retryable=True) from None


@activity.defn(name="CheckDocuments")
def check_documents(case: Case) -> dict:
    with _refusals():
        return tables().check_latest(_now())


@activity.defn(name="AskReviewer")
def ask_reviewer(case: Case, version: int) -> dict:
    with _refusals():
        tables().ask(version, _now())
        return k.ask_reviewer(canvas_services.services(), case, version, _idempotency_key(), _now())


@activity.defn(name="NotifyCustomer")
def notify_customer(case: Case, outcome: str) -> dict:
    with _refusals():
        return k.notify_customer(canvas_services.services(), case, outcome, _idempotency_key(), _now())


@activity.defn(name="Escalate")
def escalate(case: Case) -> dict:
    with _refusals():
        return k.escalate(canvas_services.services(), tables(), case, _idempotency_key(), _now())


ACTIVITIES: list[Callable[..., Any]] = [check_documents, ask_reviewer, notify_customer, escalate]
