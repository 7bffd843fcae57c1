"""The KYC review as an Airflow 3 DAG: a PythonSensor polls the reviewer's queue for 14 days.

    check_documents >> ask_reviewer >> wait_for_review >> read_decision >> [notify_approved, notify_rejected]
    wait_for_review >> escalate (trigger_rule one_failed)

Exported by `workflow-canvas export kyc-review --to airflow DIR`. Put this file and
canvas_services.py (with .airflowignore) in your dags folder, set CANVAS_DB to the SQLite file of
the run's world, then `airflow dags test kyc_review 2026-01-01` (README.md says more).

Airflow has no way to hand a running DAG run a message, so the reviewer's decision is a row in
kyc_reviews and the sensor pokes for it every minute (mode "poke": it holds its worker slot for
the whole wait). Its timeout is raised from `[sensors] default_timeout` (7 days, half the
reviewer's 14) to the review window: left at the default, the case would be escalated a week
early. No decision in 14 days: AirflowSensorTimeout (never retried), escalate runs on one_failed
and tells the KYC lead, and the DAG run ends failed.

New documents: the customer's upload lands in kyc_documents and nothing in this DAG run reads it.
check_documents ran once, on day 0; the reviewer decides on the documents that check read.
"""

from __future__ import annotations

from collections.abc import Callable

import canvas_services
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from workloads.kyc import case as k
from workloads.services import ServiceError

CASE = k.CASE
CID = k.CASE_ID


def _call(call: Callable[[], dict]) -> dict:
    """A non-retryable refusal fails the task at once instead of burning retries."""
    try:
        return call()
    except (ServiceError, k.KycError) as exc:
        if not getattr(exc, "retryable", False):
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        raise


def _case_file() -> k.CaseFile:
    return k.CaseFile(canvas_services.store(), CID)


def decided() -> bool:
    """The sensor's poke: has the reviewer's decision landed in the queue row?"""
    return _case_file().decision() is not None


@dag(
    dag_id="kyc_review",
    schedule=None,
    start_date=k.at_day(0),
    catchup=False,
    default_args={"retries": 3},
    description=f"KYC review of case {CID}",
    tags=["workflow-canvas"],
)
def kyc_review():
    @task
    def check_documents() -> dict:
        return _call(lambda: _case_file().check_latest(canvas_services.utcnow()))

    @task
    def ask_reviewer(checked: dict) -> dict:
        version = int(checked["documents_version"])
        now = canvas_services.utcnow()
        _case_file().ask(version, now)
        return _call(lambda: k.ask_reviewer(canvas_services.services(), CASE, version, k.ask_key(CID, version), now))

    wait_for_review = PythonSensor(
        task_id="wait_for_review", python_callable=decided,
        poke_interval=60, timeout=k.REVIEW_WINDOW, mode="poke",
    )

    @task
    def read_decision() -> dict:
        row = _case_file().review()
        if row is None or row["decision"] is None:
            raise AirflowFailException(f"case {CID}: the sensor let the run through with no decision in kyc_reviews")
        return {"decision": row["decision"], "documents_version": row["decided_version"]}

    def _notify(decision: dict, wanted: str, outcome: str) -> dict:
        if decision["decision"] != wanted:
            raise AirflowSkipException(f"the reviewer did not {wanted}: this branch is not taken")
        return _call(lambda: k.notify_customer(canvas_services.services(), CASE, outcome, f"kyc-{CID}-notify",
                                               canvas_services.utcnow()))

    @task
    def notify_approved(decision: dict) -> dict:
        return _notify(decision, "approve", k.ReviewOutcome.APPROVED)

    @task
    def notify_rejected(decision: dict) -> dict:
        return _notify(decision, "reject", k.ReviewOutcome.REJECTED)

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def escalate() -> dict:
        return _call(lambda: k.escalate(canvas_services.services(), _case_file(), CASE, f"kyc-{CID}-escalate",
                                        canvas_services.utcnow()))

    ask_reviewer(check_documents()) >> wait_for_review
    decision = read_decision()
    wait_for_review >> decision
    notify_approved(decision)
    notify_rejected(decision)
    wait_for_review >> escalate()


kyc_review()
