"""The order itself: the same facts on every engine."""

from __future__ import annotations

from datetime import timedelta

ORDER_ID = "1001"
WORKFLOW_ID = "order-1001"
ORDER: dict = {
    "order_id": ORDER_ID,
    "customer": "Ada Lovelace",
    "email": "ada@example.com",
    "amount_cents": 4200,
    "sku": "WIDGET",
    "qty": 1,
    "warehouse": "WH-East",
}
#: How long the order waits for a `cancelOrder` before it ships.
CANCEL_WINDOW = timedelta(days=30)
#: The step names used everywhere: lessons, traces, the three engines.
STEPS = ("ChargeCard", "ReserveInventory", "ShipPackage", "SendConfirmationEmail")
CANCEL_SIGNAL = "cancelOrder"
STATUS_QUERY = "getOrderStatus"


def order(order_id: str = ORDER_ID, **changes: object) -> dict:
    """A copy of ORDER #1001 (or #1002…) with changes."""
    return {**ORDER, "order_id": order_id, **changes}
