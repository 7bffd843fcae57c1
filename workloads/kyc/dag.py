"""The KYC review as an Airflow DAG: a sensor polls the reviewer's queue; new documents go nowhere.

    check_documents >> ask_reviewer >> wait_for_review >> read_decision >> [notify_approved, notify_rejected]
    wait_for_review >> escalate (trigger_rule one_failed)

Airflow has no way to hand a running DAG run a message, so the reviewer's decision is a row in
kyc_reviews and a PythonSensor pokes for it (poke_interval 60 s, Airflow's default).

The sensor's timeout. Airflow's default is 7 days (`[sensors] default_timeout` = 604,800 s), half
the reviewer's 14: left at the default the sensor fails with AirflowSensorTimeout on day 7 (never
retried), the case is escalated a week early, and a decision on day 9 finds no run waiting. This
DAG raises it: `timeout=14 days` (SENSOR_TIMEOUT). `run(..., sensor_timeout=DEFAULT_SENSOR_TIMEOUT)`
(or `Option.SENSOR_TIMEOUT`) leaves it at the default to show the failure.

New documents. The customer's upload lands in kyc_documents, and nothing in this DAG run reads it:
check_documents ran once, on day 0, and a DAG run has no running actor to receive a message. The
reviewer is shown the documents that check read and decides on them; the new set is never checked.
(The Airflow way to react would be another DAG run triggered by the upload, with its own check
and its own sensor on the same queue row, and nothing stopping the first run: two reviews of one
case. This file does not do that; it shows what one run does.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from engines.clock import day_of
from engines.dag import (
    DAG,
    AirflowSkipException,
    PythonOperator,
    PythonSensor,
    Scheduler,
    TaskInstanceState,
    TriggerRule,
)
from engines.dag.sensors import DEFAULT_SENSOR_TIMEOUT
from engines.store import Store
from engines.trace import OutcomeStatus
from workloads.details import DagDetails, WaitMode
from workloads.kyc import case as k
from workloads.kyc.case import ActionKind, ReviewOutcome
from workloads.kyc.observations import lost_documents_note, read_case, result_of
from workloads.options import Option, RunOptions
from workloads.refusals import fail_fast
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import ServiceError, Services
from workloads.workload import WorkloadVersion

SCENARIOS = k.SCENARIOS
DAG_ID = "kyc_review"
POKE_INTERVAL = timedelta(seconds=60)  # Airflow's default
#: The sensor's timeout as this DAG sets it: raised from Airflow's 7-day default to the reviewer's 14 days.
SENSOR_TIMEOUT = k.REVIEW_WINDOW
STEP_DURATION = timedelta(seconds=2)


def _call(fn: Callable[..., dict], *args: object) -> dict:
    """A non-retryable refusal fails at once instead of burning retries."""
    return fail_fast((ServiceError, k.KycError), fn, *args)


def build_dag(services: Services, store: Store, case: dict | None = None, *,
              sensor_timeout: timedelta = SENSOR_TIMEOUT, mode: WaitMode | str = WaitMode.POKE) -> DAG:
    """The DAG file for one case (a DAG run per case, triggered when the customer signs up)."""
    cs = dict(case or k.CASE)
    cid = cs["case_id"]
    case_file = k.CaseFile(store, cid)

    def check(now: datetime) -> dict:
        return case_file.check_latest(now)

    def ask(ti: Any, now: datetime) -> dict:
        version = int(ti.xcom_pull(task_ids="check_documents")["documents_version"])
        case_file.ask(version, now)
        return _call(k.ask_reviewer, services, cs, version, k.ask_key(cid, version), now)

    def decided() -> bool:
        return case_file.decision() is not None

    def read_decision() -> dict:
        row = case_file.review()
        assert row is not None  # the sensor let us through: the row has a decision
        return {"decision": row["decision"], "documents_version": row["decided_version"]}

    def notify(outcome: ReviewOutcome, wanted: str) -> Callable[..., dict]:
        def fn(ti: Any, now: datetime) -> dict:
            if ti.xcom_pull(task_ids="read_decision")["decision"] != wanted:
                raise AirflowSkipException(f"the reviewer did not {wanted}: this branch is not taken")
            return _call(k.notify_customer, services, cs, outcome, f"kyc-{cid}-notify", now)
        return fn

    def escalate(now: datetime) -> dict:
        return _call(k.escalate, services, case_file, cs, f"kyc-{cid}-escalate", now)

    with DAG(DAG_ID, schedule=None, start_date=k.at_day(0), description=f"KYC review of case {cid}",
             default_args={"retries": 3, "duration": STEP_DURATION}) as dag:
        check_t = PythonOperator("check_documents", check)
        ask_t = PythonOperator("ask_reviewer", ask)
        wait = PythonSensor("wait_for_review", decided, poke_interval=POKE_INTERVAL, timeout=sensor_timeout,
                            duration=timedelta(0), **WaitMode(mode).sensor_args())
        read = PythonOperator("read_decision", read_decision)
        approved = PythonOperator("notify_approved", notify(ReviewOutcome.APPROVED, "approve"))
        rejected = PythonOperator("notify_rejected", notify(ReviewOutcome.REJECTED, "reject"))
        escalate_t = PythonOperator("escalate", escalate, trigger_rule=TriggerRule.ONE_FAILED)
        check_t >> ask_t >> wait >> read
        read >> [approved, rejected]
        wait >> escalate_t
    return dag


def run(scenario: str = "approved", *, day: float | None = None, sensor_timeout: timedelta | None = None,
        mode: WaitMode | str = WaitMode.POKE, db: str | Path = ":memory:",
        listener: Listener | None = None, answer: k.Decision = "approve") -> WorkloadRun:
    """One case's DAG run on a fresh virtual clock. `sensor_timeout` None is this DAG's raised
    14 days; DEFAULT_SENSOR_TIMEOUT (7 days) is what a DAG that left it gets. `answer` is what
    the reviewer decides (approve in every scenario)."""
    timeout = SENSOR_TIMEOUT if sensor_timeout is None else sensor_timeout
    w = k.World.open(scenario, "dag", db)
    actions = k.scenario_actions(scenario, day, answer)
    clock, store, services, case = w.clock, w.store, w.services, w.case
    sched = Scheduler([build_dag(services, store, sensor_timeout=timeout, mode=mode)], clock=clock, db=store,
                      listener=listener)
    problems: list[str] = []
    for action in actions:
        clock.call_at(k.at_day(action.day), partial(_act, case, action, problems), str(action.kind))
    run_ = sched.trigger_dag(DAG_ID, conf={"case_id": k.CASE_ID})
    sched.run_until_done(run_.run_id)
    clock.run_until_idle()  # the world's actions after the run finished still happen (and reach nobody)
    return _result(sched, scenario, run_.run_id, services, case, problems, timeout, mode)


def _act(case: k.CaseFile, action: k.Action, problems: list[str], now: datetime) -> None:
    """The customer's upload is a row nobody in the run reads; the reviewer's decision is the row the sensor pokes."""
    try:
        if action.kind is ActionKind.NEW_DOCUMENTS:
            assert action.version is not None
            case.receive_documents(action.version, now)
        else:
            assert action.decision is not None
            case.decide(action.decision, now)
    except k.KycError as exc:
        problems.append(k.late_note(action.kind.replace("-", " "), day_of(now)) + f" ({exc})")


def _result(sched: Scheduler, scenario: str, run_id: str, services: Services, case: k.CaseFile, problems: list[str],
            timeout: timedelta, mode: WaitMode | str) -> WorkloadRun:
    run_ = sched.dag_run(run_id)
    tis = run_.tis
    slots = sched.slot_seconds(run_id)
    pokes = sched.pokes(run_id)
    timed_out = tis["wait_for_review"].state == TaskInstanceState.FAILED
    if slots.get("wait_for_review", 0) > 0:
        problems.append(f"wait_for_review held a worker slot for {slots['wait_for_review'] / 3600:,.1f} hours "
                        f"doing nothing but {pokes.get('wait_for_review', 0):,} pokes of the reviewer's queue")
    if timed_out:
        days = timeout.total_seconds() / 86400
        problems.append(f"no decision within the sensor's {days:g}-day timeout: wait_for_review failed with "
                        "AirflowSensorTimeout (never retried); escalate ran on trigger_rule one_failed; the DAG run ends failed")
        if timeout == DEFAULT_SENSOR_TIMEOUT and timeout < k.REVIEW_WINDOW:
            problems.append(f"the sensor's timeout was left at Airflow's default ({DEFAULT_SENSOR_TIMEOUT.days} days, "
                            f"[sensors] default_timeout): the case was escalated on day {days:g}, a week before the "
                            f"reviewer's {k.REVIEW_WINDOW.days} days were up")
    read = sched.xcom_pull(run_id, "read_decision") or {}
    answered = {"approve": ReviewOutcome.APPROVED, "reject": ReviewOutcome.REJECTED}
    decision = ReviewOutcome.ESCALATED if timed_out else answered.get(read.get("decision") or "")
    if run_.state == "success":
        status = OutcomeStatus.COMPLETED
    elif timed_out and tis["escalate"].state == TaskInstanceState.SUCCESS:
        status = OutcomeStatus.TIMED_OUT
    elif run_.finished:
        status = OutcomeStatus.FAILED
    else:
        status = OutcomeStatus.WAITING
    observed = read_case(case, decision)
    if (note := lost_documents_note(observed)) is not None:
        problems.append(note + " (a DAG run has no running actor to receive them)")
    ledger = services.ledger(k.CASE_ID)
    outcome = outcome_from_ledger("dag", status, ledger, k.CASE_ID, slot_seconds=sum(slots.values()),
                                  events=run_.transitions, problems=problems,
                                  result=result_of(observed, run_state=run_.state,
                                                   sensor_timeout_days=timeout.total_seconds() / 86400,
                                                   sensor_timeout_raised=timeout > DEFAULT_SENSOR_TIMEOUT))
    details = DagDetails.of(sched, run_id, mode=mode, sensor_timeout=timeout)
    trace = list(sched.trace.events)
    sched.close()
    return WorkloadRun("dag", WorkloadName.KYC, scenario, trace, outcome, ledger, details, observed)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, sensor_timeout=options.sensor_timeout, mode=options.mode, db=options.db,
               listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.KYC, "dag", SCENARIOS, frozenset({Option.DAY, Option.SENSOR_TIMEOUT, Option.MODE}),
                           _run_with)
