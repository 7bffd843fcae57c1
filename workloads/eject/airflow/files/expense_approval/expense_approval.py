"""The expense approval as an Airflow 3 DAG: the wait is a PythonSensor polling the approvals inbox.

    check_claim >> ask_manager >> wait_for_decision >> read_decision >> [pay_expense, notify_rejected]
    pay_expense >> notify_approved;  wait_for_decision >> escalate (trigger_rule one_failed)

Exported by `workflow-canvas export expense-approval --to airflow DIR`. Put this file and
canvas_services.py (with .airflowignore) in your dags folder, set CANVAS_DB to the SQLite file of
the run's world, then `airflow dags test expense_approval 2026-01-01` (README.md says more).

Airflow has no way to hand a running DAG an answer, so the manager's decision is a row in the
approvals table and the sensor pokes for it every minute (mode "poke": it holds its worker slot
for the whole wait) with timeout = 3 days. read_decision is a branch: the branch not taken is
skipped, and what follows it (all_success) is skipped too. No answer: the sensor fails with
AirflowSensorTimeout (never retried), escalate runs on one_failed and auto-rejects the claim, and
the DAG run ends failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import canvas_services
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowFailException

from workloads.expense_approval import claim as c
from workloads.services import ServiceError

CLAIM = c.CLAIM
CID = CLAIM["claim_id"]


def _call(call: Callable[[], dict]) -> dict:
    """A non-retryable refusal (a declined payout) fails at once instead of burning retries."""
    try:
        return call()
    except (ServiceError, c.ClaimError) as exc:
        if not getattr(exc, "retryable", False):
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        raise


def _inbox() -> c.Inbox:
    return c.Inbox(canvas_services.store())


def decided() -> bool:
    """The sensor's poke: has the manager's answer landed in the approvals table?"""
    return _inbox().decision(CID) is not None


@dag(
    dag_id="expense_approval",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 3},
    description=f"expense claim {CID}",
    tags=["workflow-canvas"],
)
def expense_approval():
    @task
    def check_claim() -> dict:
        return _call(lambda: c.check_claim(CLAIM))

    @task
    def ask_manager() -> dict:
        now = canvas_services.utcnow()
        _inbox().ask(CID, now)
        return _call(lambda: c.ask_manager(canvas_services.services(), CLAIM, f"expense-{CID}-ask-manager", now))

    wait_for_decision = PythonSensor(
        task_id="wait_for_decision", python_callable=decided,
        poke_interval=60, timeout=c.DECISION_WINDOW, mode="poke",
    )

    @task.branch
    def read_decision() -> str:
        return "pay_expense" if _inbox().decision(CID) == "approve" else "notify_rejected"

    @task
    def pay_expense() -> dict:
        return _call(lambda: c.pay_expense(canvas_services.services(), CLAIM, f"expense-{CID}-pay",
                                           canvas_services.utcnow()))

    def _notify(outcome: str) -> dict:
        return _call(lambda: c.notify_employee(canvas_services.services(), CLAIM, outcome, f"expense-{CID}-notify",
                                               canvas_services.utcnow()))

    @task
    def notify_approved() -> dict:
        return _notify(c.ClaimOutcome.APPROVED)

    @task
    def notify_rejected() -> dict:
        return _notify(c.ClaimOutcome.REJECTED)

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def escalate() -> dict:
        return _notify(c.ClaimOutcome.TIMED_OUT)

    read = read_decision()
    check_claim() >> ask_manager() >> wait_for_decision >> read
    read >> pay_expense() >> notify_approved()
    read >> notify_rejected()
    wait_for_decision >> escalate()


expense_approval()
