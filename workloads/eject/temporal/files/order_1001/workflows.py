"""ORDER #1001 as a Temporal workflow (temporalio): charge, reserve, wait 30 days for a cancel, ship.

Read `OrderWorkflow.run` aloud: it is the whole order. Nothing here touches the world; the
activities do (activities.py), and the history Temporal records of their results is what lets a
new worker pick the order up where a dead one left it, even on day 10 of the 30-day wait.

Two versions share the name "order", as two deployments of one workflow type do:
- `OrderWorkflow` (v1, deployed first): ChargeCard → ReserveInventory → wait up to 30 days for the
  `cancelOrder` signal → ShipPackage → SendConfirmationEmail; a cancel inside the window runs the
  saga (ReleaseInventory, then RefundCard).
- `OrderWorkflowV2` (deployed on day 10): a FraudCheck after ChargeCard, behind
  `workflow.patched("fraud-check")`, so orders started under v1 replay exactly as they ran and only
  new orders (ORDER #1002) take the new step.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import activities
    from workloads.order_1001.order import CANCEL_SIGNAL, CANCEL_WINDOW, STATUS_QUERY

Order = dict[str, Any]

#: Every activity attempt must finish within this (the mini-engine's default start-to-close).
START_TO_CLOSE = timedelta(seconds=10)
#: Scene 06's payment policy: 1 s, ×2, gaps capped at 8 s, at most 5 attempts; a declined card is final.
PAYMENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=8), maximum_attempts=5,
                            non_retryable_error_types=["CardDeclined"])
#: Temporal's default policy, written out (1 s, ×2, at most 100 s apart, unlimited attempts).
DEFAULT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=100))


class Saga:
    """The compensations of the steps done so far, undone newest first."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, str]] = []  # (activity type, activity id)

    def add(self, activity_type: str, activity_id: str) -> None:
        self._steps.append((activity_type, activity_id))

    async def compensate(self, order: Order) -> list[str]:
        """Run every compensation, newest first; returns the activity types undone."""
        undone = []
        while self._steps:
            activity_type, activity_id = self._steps.pop()
            await workflow.execute_activity(activity_type, order, activity_id=activity_id,
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            undone.append(activity_type)
        return undone


@workflow.defn(name="order")
class OrderWorkflow:
    """v1: ChargeCard → ReserveInventory → wait up to 30 days for cancelOrder → ShipPackage → email."""

    #: v2 turns this on: its FraudCheck is gated by `workflow.patched("fraud-check")`.
    fraud_check = False

    def __init__(self) -> None:
        self._state: dict[str, str] = {"step": "ChargeCard"}
        self._cancel_requested = False

    @workflow.run
    async def run(self, order: Order) -> dict:
        self._state = {"step": "ChargeCard", "order_id": order["order_id"]}
        saga = Saga()
        try:
            await workflow.execute_activity(activities.charge_card, order, activity_id="charge",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=PAYMENT_RETRY)
            saga.add("RefundCard", "refund")
            if self.fraud_check and workflow.patched("fraud-check"):
                self._state["step"] = "FraudCheck"
                await workflow.execute_activity(activities.fraud_check, order, activity_id="fraud-check",
                                                start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self._state["step"] = "ReserveInventory"
            await workflow.execute_activity(activities.reserve_inventory, order, activity_id="reserve",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            saga.add("ReleaseInventory", "release")
            self._state["step"] = f"waiting for {CANCEL_SIGNAL} ({CANCEL_WINDOW.days} days)"
            try:
                await workflow.wait_condition(lambda: self._cancel_requested, timeout=CANCEL_WINDOW)
            except asyncio.TimeoutError:
                pass  # nobody cancelled within the window: ship
            else:
                self._state["step"] = "compensating"
                undone = await saga.compensate(order)
                self._state["step"] = "cancelled"
                return {"order_id": order["order_id"], "status": "cancelled", "compensated": undone}
            self._state["step"] = "ShipPackage"
            await workflow.execute_activity(activities.ship_package, order, activity_id="ship",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self._state["step"] = "SendConfirmationEmail"
            await workflow.execute_activity(activities.send_confirmation_email, order, activity_id="email",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self._state["step"] = "done"
            return {"order_id": order["order_id"], "status": "shipped"}
        except (ActivityError, asyncio.CancelledError):
            self._state["step"] = "compensating"
            await saga.compensate(order)
            raise

    @workflow.signal(name=CANCEL_SIGNAL)
    def cancel_order(self) -> None:
        """The customer cancels: inside the window the saga undoes the order; after it, too late."""
        self._cancel_requested = True

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> dict[str, str]:
        return dict(self._state)


@workflow.defn(name="order")
class OrderWorkflowV2(OrderWorkflow):
    """v2: FraudCheck after ChargeCard for orders started on it; v1's orders keep the v1 path."""

    fraud_check = True

    @workflow.run
    async def run(self, order: Order) -> dict:
        return await super().run(order)
