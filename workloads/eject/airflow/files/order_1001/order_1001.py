"""ORDER #1001 as an Airflow 3 DAG: charge >> reserve >> wait_30_days >> ship >> email.

Exported by `workflow-canvas export order-1001 --to airflow DIR`. Put this file and
canvas_services.py (with .airflowignore) in your dags folder, set CANVAS_DB to the SQLite file of
the run's world, then `airflow dags test order_1001 2026-01-01` (README.md says more).

Short tasks calling the services, task-level retries (retries=3, Airflow's default retry_delay of
300 s) and the 30-day cancel window as a TimeDeltaSensor in poke mode with the sensor's default
timeout: the `[sensors] default_timeout` of 7 days, so on day 7 the sensor fails with
AirflowSensorTimeout (never retried) and ship and email end upstream_failed, with the card
charged. A declined card is a non-retryable refusal: AirflowFailException fails the task at once.
There is no cancel message in Airflow: cancelling the order means marking the DAG run failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import canvas_services
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.sdk import chain, dag, task
from airflow.sdk.exceptions import AirflowFailException

from workloads.order_1001.order import CANCEL_WINDOW, ORDER
from workloads.services import ServiceError

#: Version 2 of this file sets it: a fraud check between charge and reserve.
FRAUD_CHECK = False
OID = ORDER["order_id"]


def _service_call(call: Callable[[], dict]) -> dict:
    """A service's non-retryable refusal fails the task now; a 503 is raised for Airflow to retry."""
    try:
        return call()
    except ServiceError as exc:
        if not exc.retryable:
            raise AirflowFailException(f"{exc.type_name}: {exc}") from exc
        raise


@dag(
    dag_id="order_1001",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 3},
    description=f"ORDER #{OID}",
    tags=["workflow-canvas"],
)
def order_1001():
    @task
    def charge() -> dict:
        svc = canvas_services.services()
        return _service_call(lambda: svc.charge_card(OID, ORDER["amount_cents"], f"order-{OID}-charge",
                                                     at=canvas_services.utcnow()))

    @task
    def reserve() -> dict:
        svc = canvas_services.services()
        return _service_call(lambda: svc.reserve_inventory(OID, ORDER["sku"], ORDER["qty"], f"order-{OID}-reserve",
                                                           at=canvas_services.utcnow()))

    @task
    def ship() -> dict:
        svc = canvas_services.services()
        return _service_call(lambda: svc.ship_package(OID, ORDER["warehouse"], f"order-{OID}-ship",
                                                      at=canvas_services.utcnow()))

    @task
    def email() -> dict:
        svc = canvas_services.services()
        return _service_call(lambda: svc.send_confirmation_email(OID, ORDER["email"], f"order-{OID}-email",
                                                                 at=canvas_services.utcnow()))

    # No timeout given: the sensor takes [sensors] default_timeout (604800 s = 7 days).
    wait_30_days = TimeDeltaSensor(task_id="wait_30_days", delta=CANCEL_WINDOW, mode="poke")

    if FRAUD_CHECK:
        @task
        def fraud_check() -> dict:
            return {"order_id": OID, "fraud": False}

        chain(charge(), fraud_check(), reserve(), wait_30_days, ship(), email())
    else:
        chain(charge(), reserve(), wait_30_days, ship(), email())


order_1001()
