"""ORDER #1001 written for temporalio: the same workflow as workloads/order_1001/replay.py, in the
real SDK's idiom, so its histories can be recorded on a real Temporal server and compared.

It issues the same commands in the same order as the engine's `order_workflow` (same activity
types and ids, the same 30-day wait, the same saga), which is what lets a history recorded by one
replay under the other. Activities call the project's own services (workloads/services) on a
SQLite file, so a recorded result is what a real service answered.

Runs in its own virtual environment (/work/peers/temporal-venv); never imported by the app.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the services live in the project, the SDK in this venv
    sys.path.insert(0, str(ROOT))
    # the project's own dependencies (pydantic...) come after this venv's, so the SDK's pins win
    sys.path.extend(str(p) for p in sorted((ROOT / ".venv" / "lib").glob("python3*/site-packages")))

CANCEL_SIGNAL = "cancelOrder"
STATUS_QUERY = "getOrderStatus"
CANCEL_WINDOW = timedelta(days=30)
START_TO_CLOSE = timedelta(seconds=10)  # the engine's default start-to-close
#: Scene 06's policy, as workloads/order_1001/replay.py PAYMENT_RETRY
PAYMENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=8), maximum_attempts=5,
                            non_retryable_error_types=["CardDeclined"])
#: the engine's RetryPolicy() defaults (1 s, x2, max 100 s, unlimited)
DEFAULT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=100), maximum_attempts=0)


# --- activities: the project's services on one SQLite file ------------------------------------
_services = None


def services():
    """The services, opened once per worker process on $ORDER_SERVICES_DB (a temporary file by default)."""
    global _services
    if _services is None:
        from workloads.services import Services
        _services = Services(os.environ.get("ORDER_SERVICES_DB", ":memory:"))
    return _services


def _at():
    """The attempt's time on the server's (virtual) clock."""
    return activity.info().current_attempt_scheduled_time


def _key() -> str:
    i = activity.info()
    return f"{i.workflow_id}-{i.activity_id}"


def _raise_as_application_error(fn):
    """A service refusal becomes an ApplicationError with the service's error type, as the engine
    records it (type CardDeclined, ServiceUnavailable...)."""
    from functools import wraps

    from temporalio.exceptions import ApplicationError

    @wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - every service error is one failed attempt
            retryable = getattr(exc, "retryable", True)
            raise ApplicationError(str(exc), type=getattr(exc, "type_name", type(exc).__name__),
                                   non_retryable=not retryable) from None
    return wrapper


@activity.defn(name="ChargeCard")
@_raise_as_application_error
def charge_card(order: dict) -> dict:
    return services().charge_card(order["order_id"], order["amount_cents"], _key(), at=_at())


@activity.defn(name="RefundCard")
@_raise_as_application_error
def refund_card(order: dict) -> dict:
    return services().refund_card(order["order_id"], order["amount_cents"], _key(), at=_at())


@activity.defn(name="ReserveInventory")
@_raise_as_application_error
def reserve_inventory(order: dict) -> dict:
    return services().reserve_inventory(order["order_id"], order["sku"], order["qty"], _key(), at=_at())


@activity.defn(name="ReleaseInventory")
@_raise_as_application_error
def release_inventory(order: dict) -> dict:
    return services().release_inventory(order["order_id"], order["sku"], order["qty"], _key(), at=_at())


@activity.defn(name="ShipPackage")
@_raise_as_application_error
def ship_package(order: dict) -> dict:
    return services().ship_package(order["order_id"], order["warehouse"], _key(), at=_at())


@activity.defn(name="SendConfirmationEmail")
@_raise_as_application_error
def send_confirmation_email(order: dict) -> dict:
    return services().send_confirmation_email(order["order_id"], order["email"], _key(), at=_at())


@activity.defn(name="FraudCheck")
def fraud_check(order: dict) -> dict:
    return {"order_id": order["order_id"], "risk": "low"}


ACTIVITIES = [charge_card, refund_card, reserve_inventory, release_inventory, ship_package, send_confirmation_email,
              fraud_check]


# --- the workflow ----------------------------------------------------------------------------------
class _Saga:
    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []  # (activity type, activity id), undone newest first

    async def compensate(self, order: dict) -> list[str]:
        done = []
        while self.steps:
            name, aid = self.steps.pop()
            await workflow.execute_activity(name, order, activity_id=aid, start_to_close_timeout=START_TO_CLOSE,
                                            retry_policy=DEFAULT_RETRY)
            done.append(name)
        return done


class _Order:
    """The body both versions share; `fraud_gate` is v2's `patched("fraud-check")` step."""

    fraud_gate = False

    def __init__(self) -> None:
        self.state: dict = {"step": "ChargeCard"}
        self.cancel = False

    async def _run(self, order: dict) -> dict:
        self.state = {"step": "ChargeCard", "order_id": order["order_id"]}
        saga = _Saga()
        try:
            await workflow.execute_activity("ChargeCard", order, activity_id="charge",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=PAYMENT_RETRY)
            saga.steps.append(("RefundCard", "refund"))
            if self.fraud_gate and workflow.patched("fraud-check"):
                self.state["step"] = "FraudCheck"
                await workflow.execute_activity("FraudCheck", order, activity_id="fraud-check",
                                                start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self.state["step"] = "ReserveInventory"
            await workflow.execute_activity("ReserveInventory", order, activity_id="reserve",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            saga.steps.append(("ReleaseInventory", "release"))
            self.state["step"] = "waiting for cancelOrder (30 days)"
            try:
                await workflow.wait_condition(lambda: self.cancel, timeout=CANCEL_WINDOW)
                cancelled = True
            except asyncio.TimeoutError:
                cancelled = False
            if cancelled:
                self.state["step"] = "compensating"
                undone = await saga.compensate(order)
                self.state["step"] = "cancelled"
                return {"order_id": order["order_id"], "status": "cancelled", "compensated": undone}
            self.state["step"] = "ShipPackage"
            await workflow.execute_activity("ShipPackage", order, activity_id="ship",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self.state["step"] = "SendConfirmationEmail"
            await workflow.execute_activity("SendConfirmationEmail", order, activity_id="email",
                                            start_to_close_timeout=START_TO_CLOSE, retry_policy=DEFAULT_RETRY)
            self.state["step"] = "done"
            return {"order_id": order["order_id"], "status": "shipped"}
        except (ActivityError, asyncio.CancelledError):
            self.state["step"] = "compensating"
            await saga.compensate(order)
            raise


@workflow.defn(name="order")
class OrderWorkflow(_Order):
    """v1: ChargeCard -> ReserveInventory -> wait up to 30 days for cancelOrder -> ShipPackage -> email."""

    @workflow.run
    async def run(self, order: dict) -> dict:
        return await self._run(order)

    @workflow.signal(name=CANCEL_SIGNAL)
    def cancel_order(self, *payload: object) -> None:
        self.cancel = True

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> dict:
        return dict(self.state)


@workflow.defn(name="order")
class OrderWorkflowV2(OrderWorkflow):
    """v2, gated: FraudCheck after ChargeCard for new runs (ORDER #1002); v1 runs keep the v1 path."""

    fraud_gate = True

    @workflow.run
    async def run(self, order: dict) -> dict:
        return await self._run(order)
