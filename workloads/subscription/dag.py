"""The subscription as an Airflow DAG: `@monthly` with catchup, one DAG run per renewal.

    charge_renewal >> send_receipt        (schedule="@monthly", catchup=True, max_active_runs=1)

A DAG run is short and forgets everything when it ends, so what survives from one month to the
next is the subscriptions table: each run's charge task reads the price, the card on file and
the status from it, and the period from the run's logical date. There is nobody to send a
signal to. The customer's cancel is "pause the DAG" (`airflow dags pause`, is_paused in the
metadata database): the scheduler creates no more runs, and no task code hears of it.

A declined card is a failed try: CardDeclined is raised as it is, so Airflow retries the task
(retries=14, retry_delay=1 day: a dunning schedule), each try reading the card on file again;
the customer's new card is picked up by the next daily try. The dunning email goes out on the
first declined try (its idempotency key makes later tries send nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from engines.dag import DAG, AirflowSkipException, DagRunState, PythonOperator, Scheduler
from engines.trace import OutcomeStatus
from workloads.details import DagDetails
from workloads.options import Option, RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import CardDeclined, Services
from workloads.subscription import billing as b
from workloads.subscription import observations as obs
from workloads.subscription.billing import SubscriptionStatus
from workloads.subscription.observations import RunUsed, SubscriptionObservations
from workloads.workload import WorkloadVersion

SCENARIOS = b.SCENARIOS
DAG_ID = "subscription_renewal"
STEP_DURATION = timedelta(seconds=2)
#: The dunning schedule: a declined charge is tried again daily for the 14-day window.
DUNNING_RETRIES = b.DUNNING_WINDOW.days
DUNNING_DELAY = timedelta(days=1)


def build_dag(services: Services, subs: b.Subscriptions) -> DAG:
    """The DAG file: one run per month from the first renewal; the table is its memory."""

    def charge(logical_date: datetime, now: datetime) -> dict:
        period = b.period_of(logical_date)
        if period > b.TERM_PERIODS:  # the subscription's cancel_at: this engine's scheduler ignores end_date
            raise AirflowSkipException(f"renewal {period} is after the {b.TERM_PERIODS}-renewal term: not charged")
        row = subs.row()
        if row["status"] != SubscriptionStatus.ACTIVE:
            raise AirflowSkipException(f"subscription {b.SUB_ID} is {row['status']}: renewal {period} is not charged")
        try:
            return b.charge_renewal(services, period, row["price_cents"], subs.card(), now)
        except CardDeclined:
            b.send_declined(services, period, now)
            raise  # not AirflowFailException: the try fails and the scheduler retries it tomorrow

    def receipt(ti, logical_date: datetime, now: datetime) -> dict:
        charged = ti.xcom_pull(task_ids="charge_renewal")
        return b.send_receipt(services, b.period_of(logical_date), charged["amount_cents"], now)

    # end_date: Airflow creates no run after it. This engine does not read it yet: each scenario's
    # horizon stops the clock before a 37th run is due, and a later one skips its charge.
    with DAG(DAG_ID, schedule="@monthly", start_date=b.renewal_at(1), end_date=b.renewal_at(b.TERM_PERIODS),
             catchup=True, max_active_runs=1, description=f"subscription {b.SUB_ID}: charge and receipt, monthly",
             default_args={"retries": 0, "duration": STEP_DURATION}) as dag:
        charge_t = PythonOperator("charge_renewal", charge, retries=DUNNING_RETRIES, retry_delay=DUNNING_DELAY)
        receipt_t = PythonOperator("send_receipt", receipt, retries=3)
        charge_t >> receipt_t
    return dag


def run(scenario: str = "happy", *, day: float | None = None, db: str | Path = ":memory:",
        listener: Listener | None = None) -> WorkloadRun:
    """Three years of monthly DAG runs on a fresh virtual clock; the customer acts as the scenario
    says, or on `day`."""
    w = b.World.open(scenario, "dag", db)
    clock, services, subs = w.clock, w.services, w.subscriptions
    sched = Scheduler([build_dag(services, subs)], clock=clock, db=w.store, listener=listener)
    problems: list[str] = b.day_notes(scenario, day)
    for action in b.actions(scenario, day):
        sched.run_until_idle(until=action.at)
        b.apply(subs, action, clock.now())  # the account page writes the table ...
        if action.kind is b.CustomerAction.CANCEL:
            sched.pause_dag(DAG_ID)  # ... and the cancel pauses the DAG
    sched.run_until_idle(until=max(b.horizon(), clock.now()))
    return _result(sched, scenario, services, subs, problems)


def _result(sched: Scheduler, scenario: str, services: Services, subs: b.Subscriptions,
            problems: list[str]) -> WorkloadRun:
    runs = [r for r in sched.runs.values() if r.dag_id == DAG_ID]
    used = tuple(RunUsed(r.run_id, r.state, tuple(obs.periods_in(services, r.start_date, r.end_date)),
                         len(sched.grid(r.run_id)), r.start_date, r.end_date) for r in runs)
    failed = [r for r in runs if r.state == DagRunState.FAILED]
    for r in failed:
        problems.append(f"DAG run {r.run_id} failed: renewal {b.period_of(r.logical_date)} was not charged")
    unfinished = [r for r in runs if not r.finished]
    paused = sched.is_paused(DAG_ID)
    cents, counts = obs.charges(services)
    row = subs.row()
    final = SubscriptionStatus(row["status"])
    if len(cents) == b.TERM_PERIODS and not unfinished:
        status, final = OutcomeStatus.COMPLETED, SubscriptionStatus.ENDED
        subs.set_status(final, sched.now())
    elif paused:
        status = OutcomeStatus.CANCELED
    elif failed:
        status, final = OutcomeStatus.FAILED, SubscriptionStatus.PAST_DUE
        subs.set_status(final, sched.now())
    else:
        status = OutcomeStatus.WAITING
    slots = {r.run_id: sched.slot_seconds(r.run_id) for r in runs}
    retried = {r.run_id: sum(1 for g in sched.grid(r.run_id) if g["try_number"] > 1) for r in runs}
    canceled, priced = obs.scenario_months(scenario)
    notes = [f"{len(runs)} DAG runs of {DAG_ID}, one per month (@monthly, catchup=True); each forgets everything when "
             "it ends, so the price, the card and the status live in the sub_subscriptions table"]
    if paused:
        notes.append("the cancel paused the DAG (is_paused): no run was created after it, and no task code heard of it")
    if any(retried.values()):
        notes.append("a declined renewal was retried as new tries of charge_renewal, a day apart, each reading the "
                     f"card on file: {sum(retried.values())} extra tries")
    observed = SubscriptionObservations(
        charges_by_period=cents, charge_count_by_period=counts, declined_periods=obs.declined(services),
        receipts=sum(1 for e in services.ledger(b.SUB_ID).of("email", b.SUB_ID) if "receipt" in e.detail),
        runs=used, history_limit=0, final_status=final.value, canceled_month=canceled, price_change_month=priced,
        notes=tuple(notes))
    ledger = services.ledger(b.SUB_ID)
    last = runs[-1].run_id
    outcome = outcome_from_ledger("dag", status, ledger, b.SUB_ID,
                                  slot_seconds=sum(sum(s.values()) for s in slots.values()),
                                  events=sum(r.transitions for r in runs), problems=problems,
                                  result={"dag_runs": len(runs), "is_paused": paused, "status": final.value})
    details = DagDetails.of(sched, last)
    trace = list(sched.trace.events)
    sched.close()
    return WorkloadRun("dag", WorkloadName.SUBSCRIPTION, scenario, trace, outcome, ledger, details, observed)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.SUBSCRIPTION, "dag", SCENARIOS, frozenset({Option.DAY}), _run_with)
