"""The expense approval as an Airflow DAG: the wait is a sensor polling the approvals inbox.

    check_claim >> ask_manager >> wait_for_decision >> read_decision >> [pay_expense, notify_rejected]
    pay_expense >> notify_approved;  wait_for_decision >> escalate (trigger_rule one_failed)

Airflow has no way to hand a running DAG an answer, so the manager's decision is a row in a
table and a PythonSensor pokes for it every minute (mode "poke": it holds its worker slot for the
whole wait) with timeout = 3 days. `read_decision` is a BranchPythonOperator: it returns the
task_id to follow (pay_expense or notify_rejected) and the other is skipped without running, as
Airflow does (and `@task.branch` in the exported DAG file). No answer: the sensor fails with
AirflowSensorTimeout (never retried),
`escalate` runs on one_failed and auto-rejects, and the DAG run ends failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from engines.clock import EPOCH, day_of
from engines.dag import (
    DAG,
    BranchPythonOperator,
    PythonOperator,
    PythonSensor,
    Scheduler,
    TaskInstanceState,
    TriggerRule,
)
from engines.store import Store
from engines.trace import OutcomeStatus
from workloads.details import DagDetails, WaitMode
from workloads.expense_approval import claim as c
from workloads.expense_approval.claim import ClaimOutcome
from workloads.expense_approval.observations import ExpenseObservations
from workloads.options import Option, RunOptions
from workloads.refusals import fail_fast
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import ServiceError, Services
from workloads.workload import WorkloadVersion

SCENARIOS = c.SCENARIOS
DAG_ID = "expense_approval"
POKE_INTERVAL = timedelta(seconds=60)  # Airflow's default
STEP_DURATION = timedelta(seconds=2)
#: The task `read_decision` follows for each answer.
BRANCHES = {"approve": "pay_expense", "reject": "notify_rejected"}


def _call(fn: Callable[..., dict], *args: object) -> dict:
    """A non-retryable refusal (a declined payout) fails at once instead of burning retries."""
    return fail_fast((ServiceError, c.ClaimError), fn, *args)


def build_dag(services: Services, store: Store, claim: dict | None = None, *,
              mode: WaitMode | str = WaitMode.POKE) -> DAG:
    """The DAG file for one claim (a DAG run per claim, triggered when it is filed)."""
    cl = dict(claim or c.CLAIM)
    cid = cl["claim_id"]
    inbox = c.Inbox(store)

    def ask(now: datetime) -> dict:
        inbox.ask(cid, now)
        return _call(c.ask_manager, services, cl, f"expense-{cid}-ask-manager", now)

    def decided() -> bool:
        return inbox.decision(cid) is not None

    def read_decision() -> str:
        """The branch to follow: the task_id of the approved or the rejected path."""
        return BRANCHES["approve"] if inbox.decision(cid) == "approve" else BRANCHES["reject"]

    def pay(now: datetime) -> dict:
        return _call(c.pay_expense, services, cl, f"expense-{cid}-pay", now)

    def notify(outcome: str) -> Callable[..., dict]:
        def fn(now: datetime) -> dict:
            return _call(c.notify_employee, services, cl, outcome, f"expense-{cid}-notify", now)
        return fn

    with DAG(DAG_ID, schedule=None, start_date=EPOCH, description=f"expense claim {cid}",
             default_args={"retries": 3, "duration": STEP_DURATION}) as dag:
        check = PythonOperator("check_claim", lambda: _call(c.check_claim, cl))
        ask_t = PythonOperator("ask_manager", ask)
        wait = PythonSensor("wait_for_decision", decided, poke_interval=POKE_INTERVAL, timeout=c.DECISION_WINDOW,
                            duration=timedelta(0), **WaitMode(mode).sensor_args())
        read = BranchPythonOperator("read_decision", read_decision)
        pay_t = PythonOperator("pay_expense", pay)
        approved = PythonOperator("notify_approved", notify("approved"))
        rejected = PythonOperator("notify_rejected", notify("rejected"))
        escalate = PythonOperator("escalate", notify("timed-out"), trigger_rule=TriggerRule.ONE_FAILED)
        check >> ask_t >> wait >> read
        read >> pay_t >> approved
        read >> rejected
        wait >> escalate
    return dag


def run(scenario: str = "approve", *, day: float | None = None, mode: WaitMode | str = WaitMode.POKE,
        db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """One claim's DAG run on a fresh virtual clock; the scenario writes the manager's row on `day`."""
    w = c.World.open(scenario, "dag", db)
    clock, store, services, inbox = w.clock, w.store, w.services, w.inbox
    sched = Scheduler([build_dag(services, store, mode=mode)], clock=clock, db=store, listener=listener)
    problems: list[str] = []
    answer = c.ANSWERS[scenario]
    if answer is not None:
        at = c.answer_time(day)

        def manager_answers(now: datetime) -> None:
            if inbox.row(c.CLAIM_ID) is None:
                problems.append(f"the manager answered on day {day_of(now):g} before anyone asked")
                return
            inbox.answer(c.CLAIM_ID, answer, now)

        clock.call_at(at, manager_answers, "manager answers")
    run_ = sched.trigger_dag(DAG_ID, conf={"claim_id": c.CLAIM_ID})
    sched.run_until_done(run_.run_id)
    return _result(sched, scenario, run_.run_id, services, inbox, problems, day, mode)


def _result(sched: Scheduler, scenario: str, run_id: str, services: Services, inbox: c.Inbox, problems: list[str],
            day: float | None, mode: WaitMode | str) -> WorkloadRun:
    run_ = sched.dag_run(run_id)
    tis = run_.tis
    slots = sched.slot_seconds(run_id)
    pokes = sched.pokes(run_id)
    wait = tis["wait_for_decision"]
    timed_out = wait.state == TaskInstanceState.FAILED
    if slots.get("wait_for_decision", 0) > 0:
        problems.append(f"wait_for_decision held a worker slot for {slots['wait_for_decision'] / 3600:,.1f} hours "
                        f"doing nothing but {pokes.get('wait_for_decision', 0):,} pokes of the approvals table")
    if timed_out:
        problems.append(f"no decision within {c.DECISION_WINDOW.days} days: wait_for_decision failed with "
                        "AirflowSensorTimeout (never retried); escalate ran on trigger_rule one_failed and auto-rejected "
                        "the claim; the DAG run ends failed")
        if c.ANSWERS[scenario] is not None:
            problems.append(c.late_answer_note(c.DEFAULT_DAY if day is None else day))
    # The branch taken is the one that ran: in Airflow 3 a branch that skips others pushes no XCom
    # (its DownstreamTasksSkipped ends the task before the return value is pushed; so does this engine).
    answered = {BRANCHES["approve"]: ClaimOutcome.APPROVED, BRANCHES["reject"]: ClaimOutcome.REJECTED}
    taken = [task for task in answered if tis[task].state == TaskInstanceState.SUCCESS]
    decision = ClaimOutcome.TIMED_OUT if timed_out else (answered[taken[0]] if taken else None)
    if run_.state == "success":
        status = OutcomeStatus.COMPLETED
    elif timed_out and tis["escalate"].state == TaskInstanceState.SUCCESS:
        status = OutcomeStatus.TIMED_OUT
    elif run_.finished:
        status = OutcomeStatus.FAILED
    else:
        status = OutcomeStatus.WAITING
    ledger = services.ledger(c.CLAIM_ID)
    paid = ledger.paid_out_cents(c.CLAIM_ID)
    outcome = outcome_from_ledger("dag", status, ledger, c.CLAIM_ID, slot_seconds=sum(slots.values()),
                                  events=run_.transitions, problems=problems,
                                  result={"run_state": run_.state, "decision": decision, "paid_out_cents": paid})
    details = DagDetails.of(sched, run_id, mode=mode, sensor_timeout=c.DECISION_WINDOW)
    observed = ExpenseObservations(decision=decision, paid_out_cents=paid, inbox=inbox.row(c.CLAIM_ID), day=day)
    trace = list(sched.trace.events)
    sched.close()
    return WorkloadRun("dag", WorkloadName.EXPENSE_APPROVAL, scenario, trace, outcome, ledger, details, observed)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, mode=options.mode, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.EXPENSE_APPROVAL, "dag", SCENARIOS, frozenset({Option.DAY, Option.MODE}),
                           _run_with)
