"""Lambda handlers behind the subscription renewal's state machine (statemachine.asl.json).

Two functions, called through the `lambda:invoke` integration (their return value is the
`Payload` the ResultSelector reads). `charge_renewal` reads the subscriptions table each time,
because nothing can be sent to a running execution: a cancel, a new price or a new card is a
row the account page writes, and the next renewal's charge sees it. A declined card sends the
dunning email and raises CardDeclined, the error ChargeRenewal's Retry takes again the next day
(14 attempts) with whatever card is on file then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import canvas_services

from workloads.services import CardDeclined
from workloads.subscription import billing as b
from workloads.subscription.billing import SubscriptionStatus

#: The time the services stamp their ledger with: the Lambda runtime's wall clock. A run on
#: virtual time (`workflow-canvas run --on real` against moto) sets its own clock here.
clock: Callable[[], datetime] = canvas_services.utcnow
TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"  # what WaitForRenewal's TimestampPath reads


def subscriptions() -> b.Subscriptions:
    return b.Subscriptions(canvas_services.store())


def charge_renewal(event: dict[str, Any], context: Any) -> dict[str, Any]:
    period, subs, now = int(event["period"]), subscriptions(), clock()
    row = subs.row(event["subscription_id"])
    if row["status"] != SubscriptionStatus.ACTIVE:
        return {"status": row["status"], "amount_cents": 0, "next_renewal_at": None}
    try:
        b.charge_renewal(canvas_services.services(), period, row["price_cents"], subs.card(), now)
    except CardDeclined:
        b.send_declined(canvas_services.services(), period, now)
        raise  # ChargeRenewal's Retry: again tomorrow, with the card on file then
    return {"status": "charged", "amount_cents": row["price_cents"],
            "next_renewal_at": b.renewal_at(period + 1).strftime(TIMESTAMP)}


def send_receipt(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return b.send_receipt(canvas_services.services(), int(event["period"]), int(event["amount_cents"]), clock())
