"""ORDER #1001 as an Airflow DAG: charge >> reserve >> wait_30_days >> ship >> email.

Written the way an Airflow user would: short tasks calling the services, task-level retries,
and the 30-day cancel window as a TimeDeltaSensor. Run it and the DAG model shows its limits:
with the sensor's default 7-day timeout the run fails on day 7 with the card charged and nothing
shipped or refunded; with the timeout raised to 30 days the sensor holds a worker slot for the
whole month; and a cancel can only mark the DAG run failed, with no running actor to receive it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Callable

from engines.clock import EPOCH, VirtualClock, day_of
from engines.dag import (
    DAG,
    NO_ACTOR,
    AirflowFailException,
    DagError,
    PythonOperator,
    Scheduler,
    TaskInstanceState,
    TimeDeltaSensor,
)
from engines.dag.sensors import DEFAULT_SENSOR_TIMEOUT
from engines.store import open_store
from engines.trace import OutcomeStatus
from workloads.details import DagDetails, WaitMode
from workloads.options import Option, RunOptions
from workloads.order_1001.observations import OrderObservations
from workloads.order_1001.order import CANCEL_WINDOW, ORDER, ORDER_ID
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import ServiceError, Services
from workloads.workload import WorkloadVersion

SCENARIOS = ("happy", "cancel", "crash", "sick-payment", "declined", "deploy-v2")
DAG_ID = "order_1001"
#: Default day of the user's action per scenario.
DEFAULT_DAY = {"cancel": 3.0, "crash": 10.0, "deploy-v2": 3.0}
#: What each task takes on the virtual clock (a real API call takes a moment).
STEP_DURATION = timedelta(seconds=2)


def _service_call(fn: Callable[[], dict]) -> dict:
    """A service's non-retryable refusal becomes AirflowFailException: fail now, no retries."""
    try:
        return fn()
    except ServiceError as exc:
        if not exc.retryable:
            raise AirflowFailException(f"{exc.type_name}: {exc}") from exc
        raise


def build_dag(services: Services, *, sensor_timeout: timedelta | None = None, mode: WaitMode | str = WaitMode.POKE,
              fraud_check: bool = False, order: dict | None = None) -> DAG:
    """The DAG file. `fraud_check=True` is v2, which adds FraudCheck between charge and reserve."""
    o = dict(order or ORDER)
    oid = o["order_id"]
    with DAG(DAG_ID, schedule=None, start_date=EPOCH, description=f"ORDER #{oid}",
             default_args={"retries": 3, "duration": STEP_DURATION}) as dag:
        charge = PythonOperator("charge", lambda now: _service_call(
            lambda: services.charge_card(oid, o["amount_cents"], f"order-{oid}-charge", at=now)))
        reserve = PythonOperator("reserve", lambda now: _service_call(
            lambda: services.reserve_inventory(oid, o["sku"], o["qty"], f"order-{oid}-reserve", at=now)))
        wait = TimeDeltaSensor("wait_30_days", delta=CANCEL_WINDOW, timeout=sensor_timeout,
                               duration=timedelta(0), **WaitMode(mode).sensor_args())
        ship = PythonOperator("ship", lambda now: _service_call(
            lambda: services.ship_package(oid, o["warehouse"], f"order-{oid}-ship", at=now)))
        email = PythonOperator("email", lambda now: _service_call(
            lambda: services.send_confirmation_email(oid, o["email"], f"order-{oid}-email", at=now)))
        if fraud_check:
            check = PythonOperator("fraud_check", lambda: {"order_id": oid, "fraud": False})
            charge >> check >> reserve
        else:
            charge >> reserve
        reserve >> wait >> ship >> email
    return dag


def run(scenario: str = "happy", *, day: float | None = None, sensor_timeout: timedelta | None = None,
        mode: WaitMode | str = WaitMode.POKE, db: str | Path = ":memory:",
        listener: Listener | None = None) -> WorkloadRun:
    """Run ORDER #1001 on the DAG engine under one scenario, on a fresh virtual clock."""
    if scenario not in SCENARIOS:
        raise DagError(f"unknown scenario {scenario!r} for order-1001 on dag; choose one of {', '.join(SCENARIOS)}")
    day = DEFAULT_DAY.get(scenario) if day is None else day
    clock = VirtualClock(EPOCH)
    store = open_store(db)
    services = Services(store, clock)
    if scenario == "sick-payment":
        services.inject("payment", "unavailable", times=3)
    elif scenario == "declined":
        services.inject("payment", "reject")
    dag = build_dag(services, sensor_timeout=sensor_timeout, mode=mode)
    sched = Scheduler([dag], clock=clock, db=store, listener=listener)
    run_ = sched.trigger_dag(DAG_ID, conf={"order_id": ORDER_ID})
    notes: list[str] = []
    if day is not None and scenario in ("cancel", "crash", "deploy-v2"):
        sched.run_until_done(run_.run_id, until=EPOCH + timedelta(days=day))
        sched.advance_to(max(sched.now(), EPOCH + timedelta(days=day)))
        notes += _act(sched, scenario, day, run_.run_id, services, sensor_timeout, mode)
    sched.run_until_done(run_.run_id)
    return _result(sched, scenario, run_.run_id, services, notes, sensor_timeout, mode, day)


def _ended(state: str) -> str:
    """A finished DAG run's state in a sentence: 'succeeded' or 'failed'."""
    return "succeeded" if state == "success" else str(state)


def _act(sched: Scheduler, scenario: str, day: float, run_id: str, services: Services,
         sensor_timeout: timedelta | None, mode: WaitMode | str) -> list[str]:
    run_ = sched.dag_run(run_id)
    if scenario == "cancel":
        if run_.finished:
            return [f"cancelOrder on day {day:g}: nothing to mark — the DAG run had already {_ended(run_.state)} on day "
                    f"{day_of(run_.end_date or sched.now()):.1f} and marking a finished run changes nothing; "
                    f"there was nothing left to cancel and {NO_ACTOR}"]
        killed = sched.mark_dag_run_failed(run_id)
        return [f"cancelOrder on day {day:g}: Airflow has no signal, so the only cancel is marking the DAG run failed; "
                f"{NO_ACTOR}. It killed {', '.join(killed) or 'nothing'} and skipped everything after; no task code "
                "heard it, no on_failure_callback ran, and no refund task exists to run"]
    if scenario == "crash":
        killed = sched.kill_worker(run_id)
        if not killed:
            return [f"worker crash on day {day:g}: no worker was running a task of this DAG run "
                    f"(the run had {_ended(run_.state)} on day {day_of(run_.end_date or sched.now()):.1f}), so the crash changed nothing"]
        return [f"worker crash on day {day:g}: it killed {', '.join(killed)}; after the heartbeat timeout the try failed "
                "and the task ran again from scratch (at-least-once, no replay: a new process, a new sensor timeout, "
                "pokes from zero)"]
    v2 = build_dag(services, sensor_timeout=sensor_timeout, mode=mode, fraud_check=True)
    version = sched.deploy(v2)
    return [f"deploy on day {day:g}: v{version} adds fraud_check between charge and reserve. With Airflow 3's default "
            "unversioned LocalDagBundle the running run moves to the new version: fraud_check gets a task instance and "
            "runs now, although reserve already ran before it (a versioned bundle would keep the run on v1)"]


def _result(sched: Scheduler, scenario: str, run_id: str, services: Services, notes: list[str],
            sensor_timeout: timedelta | None, mode: WaitMode | str, day: float | None) -> WorkloadRun:
    run_ = sched.dag_run(run_id)
    tis = run_.tis
    ledger = services.ledger(ORDER_ID)
    counts = ledger.counts(ORDER_ID)
    slots = sched.slot_seconds(run_id)
    pokes = sched.pokes(run_id)
    problems = list(notes)
    wait = tis["wait_30_days"]
    timeout = sensor_timeout or DEFAULT_SENSOR_TIMEOUT
    sensor_timed_out = any(e.kind == "TaskInstance failed" and e.subject == "wait_30_days"
                           and e.data.get("error") == "AirflowSensorTimeout" for e in sched.trace)
    if sensor_timed_out:
        problems.append(f"wait_30_days timed out on day {day_of(wait.end_date or sched.now()):.1f}: a sensor's timeout "
                        f"({timeout.total_seconds():,.0f} s = {timeout / timedelta(days=1):g} days) is shorter than the "
                        "30-day wait, and AirflowSensorTimeout is never retried; ship and email became upstream_failed")
    if slots.get("wait_30_days", 0) > 0:
        problems.append(f"wait_30_days held a worker slot for {slots['wait_30_days']:,.0f} slot-seconds "
                        f"({slots['wait_30_days'] / 86400:.1f} days) doing nothing but {pokes.get('wait_30_days', 0):,} pokes")
    if counts["charged_cents"] > counts["refunded_cents"] and not counts["shipped"]:
        problems.append(f"the card was charged ${counts['charged_cents'] / 100:,.2f}, nothing shipped and nothing "
                        "was refunded: no compensation runs unless it was modelled as a task")
    tries = tis["charge"].try_number
    if tries > 1:
        problems.append(f"charge took {tries} tries (retries=3, retry_delay 300 s) against a sick payment API")
    if tis["charge"].state == TaskInstanceState.FAILED:
        problems.append("charge failed with AirflowFailException (the card was declined): not retried, "
                        "everything downstream upstream_failed")
    if run_.state == "success":
        status = OutcomeStatus.COMPLETED
    elif run_.finished:
        # A cancel that found the run already ended leaves it as its sensor left it (timed out).
        status = OutcomeStatus.TIMED_OUT if sensor_timed_out else OutcomeStatus.FAILED
    else:
        status = OutcomeStatus.WAITING
    outcome = outcome_from_ledger("dag", status, ledger, ORDER_ID, slot_seconds=sum(slots.values()),
                                  events=run_.transitions, problems=problems, result=run_.state)
    details = DagDetails.of(sched, run_id, mode=mode, sensor_timeout=timeout)
    trace = list(sched.trace.events)
    sched.close()
    return WorkloadRun("dag", WorkloadName.ORDER_1001, scenario, trace, outcome, ledger, details, OrderObservations(day=day))


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, sensor_timeout=options.sensor_timeout, mode=options.mode, db=options.db,
               listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.ORDER_1001, "dag", SCENARIOS,
                           frozenset({Option.DAY, Option.SENSOR_TIMEOUT, Option.MODE}), _run_with)
