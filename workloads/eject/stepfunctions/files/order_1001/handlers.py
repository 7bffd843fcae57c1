"""Lambda handlers behind ORDER #1001's state machine (statemachine.asl.json).

One function per Lambda (the `Handler` setting is `handlers.<name>`, see resources.json). Each
calls the same services the mini-engines call, through `canvas_services`, with the idempotency
key the state machine computed (`States.Format('order-{}-charge', $.order_id)`): a retried
invocation is charged once. A service's refusal is raised, and the Lambda runtime reports its
class name as the `errorType` the definition's Retry and Catch match (ServiceUnavailable,
CardDeclined...).

`await_cancel_order` is the `.waitForTaskToken` side of the 30-day cancel window: it keeps the
task token in the cancel mailbox (a table in the same database) and returns; the customer's
cancelOrder later fails that token with SendTaskFailure(OrderCancelled) (deploy.py `cancel`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import canvas_services

#: The time the services stamp their ledger with: the Lambda runtime's wall clock. A run on
#: virtual time (`workflow-canvas run --on real` against moto) sets its own clock here.
clock: Callable[[], datetime] = canvas_services.utcnow

MAILBOX_DDL = """
CREATE TABLE sfn_cancel_mailbox (order_id TEXT PRIMARY KEY, task_token TEXT NOT NULL, listening_since TEXT NOT NULL);
"""


def charge_card(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return canvas_services.services().charge_card(event["order_id"], event["amount_cents"],
                                                  event.get("idempotency_key"), at=clock())


def refund_card(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return canvas_services.services().refund_card(event["order_id"], event["amount_cents"],
                                                  event.get("idempotency_key"), at=clock())


def reserve_inventory(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return canvas_services.services().reserve_inventory(event["order_id"], event.get("sku", "WIDGET"),
                                                        event.get("qty", 1), event.get("idempotency_key"), at=clock())


def release_inventory(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return canvas_services.services().release_inventory(event["order_id"], event.get("sku", "WIDGET"),
                                                        event.get("qty", 1), event.get("idempotency_key"), at=clock())


def ship_package(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return canvas_services.services().ship_package(event["order_id"], event.get("warehouse", "WH-East"),
                                                   event.get("idempotency_key"), at=clock())


def send_confirmation_email(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return canvas_services.services().send_confirmation_email(event["order_id"], event.get("to", ""),
                                                              event.get("idempotency_key"), at=clock())


def fraud_check(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Version 2's FraudCheck (statemachine.v2.asl.json): every order is low risk in this course."""
    return {"risk": "low", "order_id": event["order_id"]}


def await_cancel_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Keep the task token until a cancelOrder comes; the state's result comes from the token,
    so what this returns is not read by the state machine."""
    store = canvas_services.store()
    store.ensure_schema("sfn_cancel_mailbox", 1, MAILBOX_DDL)
    with store.transaction() as c:
        c.execute("INSERT OR REPLACE INTO sfn_cancel_mailbox VALUES (?, ?, ?)",
                  (event["order_id"], event["TaskToken"], clock().isoformat()))
    return {"listening_for": "cancelOrder", "order_id": event["order_id"]}


def cancel_token(order_id: str) -> str | None:
    """The task token a cancelOrder for `order_id` fails (None: nobody is listening)."""
    store = canvas_services.store()
    store.ensure_schema("sfn_cancel_mailbox", 1, MAILBOX_DDL)
    row = store.one("SELECT task_token FROM sfn_cancel_mailbox WHERE order_id = ?", (order_id,))
    return None if row is None else str(row[0])
