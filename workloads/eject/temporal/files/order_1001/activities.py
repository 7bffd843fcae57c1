"""ORDER #1001's activities for temporalio: each one calls the same service the mini-engine calls.

Activities are where the order touches the world (payment, inventory, shipping, email), so they
run at least once and their results go into the workflow's history. Each passes an idempotency key
made from `activity.info()` — `<workflow id>-<activity id>`, the same on every attempt and every
worker — so a retried or re-run attempt never charges the card twice: the payment service answers
a key it has seen with its first answer. The services live in the SQLite file named by CANVAS_DB
(`canvas_services.py`).

A service's refusal becomes an ApplicationError with the service's error type (CardDeclined,
ServiceUnavailable…), non-retryable when the service says retrying cannot help, which is what the
workflow's RetryPolicy matches on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

import canvas_services
from workloads.services.errors import ServiceError

Order = dict[str, Any]


def _idempotency_key() -> str:
    info = activity.info()
    return f"{info.workflow_id}-{info.activity_id}"


def _now() -> datetime:
    """This attempt's time on the server's clock (virtual under time skipping)."""
    return activity.info().current_attempt_scheduled_time


@contextmanager
def _service_errors() -> Iterator[None]:
    try:
        yield
    except ServiceError as exc:
        raise ApplicationError(str(exc), type=exc.type_name, non_retryable=not exc.retryable) from None


@activity.defn(name="ChargeCard")
def charge_card(order: Order) -> dict:
    with _service_errors():
        return canvas_services.services().charge_card(order["order_id"], order["amount_cents"], _idempotency_key(),
                                                      at=_now())


@activity.defn(name="RefundCard")
def refund_card(order: Order) -> dict:
    with _service_errors():
        return canvas_services.services().refund_card(order["order_id"], order["amount_cents"], _idempotency_key(),
                                                      at=_now())


@activity.defn(name="ReserveInventory")
def reserve_inventory(order: Order) -> dict:
    with _service_errors():
        return canvas_services.services().reserve_inventory(order["order_id"], order["sku"], order["qty"],
                                                            _idempotency_key(), at=_now())


@activity.defn(name="ReleaseInventory")
def release_inventory(order: Order) -> dict:
    with _service_errors():
        return canvas_services.services().release_inventory(order["order_id"], order["sku"], order["qty"],
                                                            _idempotency_key(), at=_now())


@activity.defn(name="ShipPackage")
def ship_package(order: Order) -> dict:
    with _service_errors():
        return canvas_services.services().ship_package(order["order_id"], order["warehouse"], _idempotency_key(),
                                                       at=_now())


@activity.defn(name="SendConfirmationEmail")
def send_confirmation_email(order: Order) -> dict:
    with _service_errors():
        return canvas_services.services().send_confirmation_email(order["order_id"], order["email"],
                                                                  _idempotency_key(), at=_now())


@activity.defn(name="FraudCheck")
def fraud_check(order: Order) -> dict:
    """v2's new step (ORDER #1002 on): a stand-in risk score, no service behind it."""
    return {"order_id": order["order_id"], "risk": "low"}


ACTIVITIES: list[Callable[..., Any]] = [charge_card, refund_card, reserve_inventory, release_inventory,
                                        ship_package, send_confirmation_email, fraud_check]
