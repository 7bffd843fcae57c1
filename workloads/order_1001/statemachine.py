"""ORDER #1001 on the state-machine engine: the ASL in statemachine.json bound to the services.

The JSON names Lambda ARNs; `resources(services)` is the binding a cloud would do for you (the
visible price of cloud binding). `run(scenario)` plays one scenario on a fresh virtual clock and
returns the `WorkloadRun` the side-by-side view and the lessons read.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from engines.clock import EPOCH, VirtualClock, day_of
from engines.statemachine import Engine, HistoryEventType, Resources, TaskContext, state_list
from engines.store import open_store
from engines.trace import OutcomeStatus, Severity, TraceRecorder
from workloads.details import StatemachineDetails
from workloads.options import Option, RunOptions
from workloads.order_1001.observations import Order1002, OrderObservations
from workloads.order_1001.order import CANCEL_SIGNAL, ORDER_ID, WORKFLOW_ID, order
from workloads.runs import STATEMACHINE_STATUS, Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Services
from workloads.workload import WorkloadVersion

DEFINITION_PATH = Path(__file__).with_name("statemachine.json")
STATE_MACHINE = "order-fulfillment"
SCENARIOS = ("happy", "cancel", "crash", "sick-payment", "declined", "deploy-v2")
CANCEL_ERROR = "OrderCancelled"
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def definition() -> dict:
    """Version 1: ChargeCard → ReserveInventory → 30-day callback wait → ShipPackage → SendConfirmationEmail."""
    return json.loads(DEFINITION_PATH.read_text())


def definition_v2() -> dict:
    """Version 2: the same with FraudCheck inserted after ChargeCard (scene 11's change)."""
    d = copy.deepcopy(definition())
    d["States"]["ChargeCard"]["Next"] = "FraudCheck"
    d["States"]["FraudCheck"] = {
        "Type": "Task", "Resource": ACCOUNT_ARN + "fraud-check",
        "Parameters": {"order_id.$": "$.order_id", "amount_cents.$": "$.amount_cents"},
        "ResultPath": "$.fraud", "Next": "ReserveInventory",
    }
    return d


def resources(services: Services) -> Resources:
    """Bind each function name in the ARNs to a service call (with the idempotency key it is given)."""
    def at(ctx: TaskContext) -> datetime:
        return ctx.now

    r = Resources()
    r.register("charge-card", lambda p, c: services.charge_card(p["order_id"], p["amount_cents"], p.get("idempotency_key"), at=at(c)))
    r.register("refund-card", lambda p, c: services.refund_card(p["order_id"], p["amount_cents"], p.get("idempotency_key"), at=at(c)))
    r.register("reserve-inventory", lambda p, c: services.reserve_inventory(p["order_id"], p.get("sku", "WIDGET"), p.get("qty", 1),
                                                                              p.get("idempotency_key"), at=at(c)))
    r.register("release-inventory", lambda p, c: services.release_inventory(p["order_id"], p.get("sku", "WIDGET"), p.get("qty", 1),
                                                                              p.get("idempotency_key"), at=at(c)))
    r.register("ship-package", lambda p, c: services.ship_package(p["order_id"], p.get("warehouse", "WH-East"),
                                                                    p.get("idempotency_key"), at=at(c)))
    r.register("send-confirmation-email", lambda p, c: services.send_confirmation_email(p["order_id"], p.get("to", ""),
                                                                                          p.get("idempotency_key"), at=at(c)))
    # The cancel mailbox: it keeps the token; a cancelOrder answers it (see `cancel_order`).
    r.register("await-cancel-order", lambda p, c: {"listening_for": CANCEL_SIGNAL, "order_id": p["order_id"]})
    r.register("fraud-check", lambda p, c: {"risk": "low", "order_id": p["order_id"]})
    return r


def cancel_order(engine: Engine, execution_arn: str) -> bool:
    """Deliver cancelOrder: fail the waiting callback task with OrderCancelled (the Catch compensates)."""
    tokens = engine.waiting_tokens(execution_arn)
    for token in tokens:
        engine.send_task_failure(token, CANCEL_ERROR, "cancelOrder from the customer")
    return bool(tokens)


def _closed_note(engine: Engine, arn: str) -> str:
    """'the execution had already SUCCEEDED on day 30' when it is closed, else ''."""
    desc = engine.describe_execution(arn)
    if desc["status"] == "RUNNING":
        return ""
    stopped = ""
    if desc.get("stopDate"):
        stopped = f" on day {day_of(datetime.fromisoformat(desc['stopDate'].replace('Z', '+00:00'))):g}"
    return f"the execution had already {desc['status']}{stopped}"


def _no_token_note(engine: Engine, arn: str, day: float) -> str:
    """Why a cancelOrder found nothing to answer: Step Functions has no signal, only the task token
    of a waiting callback task, and SendTaskFailure needs one."""
    closed = _closed_note(engine, arn)
    where = closed or "the execution was RUNNING past its callback wait"
    return (f"cancelOrder on day {day:g}: no task token to fail — {where}; SendTaskFailure needs the token of a "
            "waiting .waitForTaskToken task, so the cancel reached no state and changed nothing")


def run(scenario: str = "happy", *, day: float | None = None, plain_stop: bool = False,
        db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """Play ORDER #1001 under one scenario on a fresh virtual clock starting at EPOCH (day 0)."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    clock = VirtualClock(EPOCH)
    store = open_store(db)
    services = Services(store, clock)
    recorder = TraceRecorder("statemachine", listener)
    engine = Engine(store, clock, resources(services), recorder=recorder)
    engine.create_state_machine(STATE_MACHINE, definition())
    problems: list[str] = []
    seen = OrderObservations(day=day)

    if scenario == "sick-payment":
        services.inject("payment", "unavailable", times=3)
    if scenario == "declined":
        services.inject("payment", "reject")
    arn = engine.start_execution(STATE_MACHINE, order(), name=WORKFLOW_ID)

    if scenario == "cancel":
        n = 3.0 if day is None else day
        seen = replace(seen, day=n)
        when = EPOCH + timedelta(days=n)

        def deliver_cancel(now: datetime) -> None:
            if not cancel_order(engine, arn):
                note = _no_token_note(engine, arn, n)
                problems.append(note)
                recorder.emit(now, "SendTaskFailure not sent", WORKFLOW_ID, note, Severity.WARNING,
                              signal=CANCEL_SIGNAL, status=engine.describe_execution(arn)["status"])

        if plain_stop:
            clock.call_at(when, lambda now: engine.stop_execution(arn, "cancelOrder", "stopped by an operator"), "stop")
        else:
            clock.call_at(when, deliver_cancel, CANCEL_SIGNAL)
        engine.run_until_idle()
    elif scenario == "crash":
        n = 10.0 if day is None else day
        seen = replace(seen, day=n)
        engine.run_until_idle(until=EPOCH + timedelta(days=n))
        closed = _closed_note(engine, arn)
        if closed:
            problems.append(f"interpreter lost on day {n:g}: {closed}; the checkpoint held no running execution, "
                            "so the new interpreter had nothing to resume and the loss changed nothing")
        recorder.emit(clock.now(), "InterpreterLost", WORKFLOW_ID,
                      f"day {n:g}: the interpreter process is lost; only the SQLite checkpoint remains", Severity.WARNING)
        # A new process: a new clock at the time it starts, a new engine on the same database.
        clock = VirtualClock(EPOCH)
        clock.set(EPOCH + timedelta(days=n))
        services = Services(store, clock)
        engine = Engine(store, clock, resources(services), recorder=recorder)
        resumed = engine.resume()
        recorder.emit(clock.now(), "InterpreterResumed", WORKFLOW_ID,
                      f"a new interpreter loaded {len(resumed)} running execution(s) from the checkpoint and re-armed their timers")
        engine.run_until_idle()
    elif scenario == "deploy-v2":
        n = 1.0 if day is None else day
        seen = replace(seen, day=n, states_v2=state_list(definition_v2()))
        second: dict[str, str] = {}

        def deploy(now: datetime) -> None:
            v = engine.publish_version(STATE_MACHINE, definition_v2())
            recorder.emit(now, "StateMachineVersionPublished", STATE_MACHINE,
                          f"version {v} (with FraudCheck) published; #1001 keeps the version it started with")
            second["arn"] = engine.start_execution(STATE_MACHINE, order("1002"), name="order-1002")

        clock.call_at(EPOCH + timedelta(days=n), deploy, "deploy-v2")
        engine.run_until_idle()
        if second:
            d2 = engine.describe_execution(second["arn"])
            h2 = engine.get_execution_history(second["arn"])
            seen = replace(seen, order_1002=Order1002(
                status=d2["status"], version=d2["version"], events=[e.type for e in h2],
                states=[e.state for e in h2 if e.type.endswith("StateEntered") and e.state is not None]))
    else:
        engine.run_until_idle()

    desc = engine.describe_execution(arn)
    history = engine.get_execution_history(arn)
    ledger = services.ledger()
    status = STATEMACHINE_STATUS[desc["status"]]
    if desc["status"] == "SUCCEEDED" and any(e.type == HistoryEventType.SUCCEED_STATE_ENTERED and e.state == "OrderCancelled" for e in history):
        status = OutcomeStatus.CANCELED
    mine = ledger.counts(ORDER_ID)
    if desc["status"] == "ABORTED":
        problems.append("StopExecution ended the run ABORTED: no Catch ran, so nothing was compensated — "
                        f"{mine['charged_cents'] - mine['refunded_cents']} cents stay charged and "
                        f"{mine['reserved'] - mine['released']} reservation(s) stay held")
    if desc["status"] == "FAILED":
        problems.append(f"the execution failed with {desc['error']}: {desc['cause']}")
    details = StatemachineDetails.of(engine, STATE_MACHINE, arn, definition())
    outcome = outcome_from_ledger("statemachine", status, ledger, ORDER_ID, slot_seconds=0.0, events=len(history),
                                  problems=problems, result=desc["output"])
    return WorkloadRun("statemachine", WorkloadName.ORDER_1001, scenario, list(recorder.events), outcome, ledger,
                       details, seen)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, plain_stop=options.plain_stop, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.ORDER_1001, "statemachine", SCENARIOS, frozenset({Option.DAY, Option.PLAIN_STOP}),
                           _run_with)
