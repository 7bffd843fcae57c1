"""ORDER #1001 on the replay engine: the order as workflow code, its activities, and a runner.

Read `order_workflow` aloud: it is the whole order. Durability comes from the engine (history +
replay), not from the code: a crash anywhere, a 30-day wait, a cancel on day 3 are all handled
by what the history records.
"""

from __future__ import annotations

import random
from asyncio import CancelledError
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from engines.clock import EPOCH, VirtualClock, day_of
from engines.replay import (
    EventType,
    ActivityError,
    ApplicationError,
    ReplayError,
    Client,
    HistoryLimits,
    RetryPolicy,
    Saga,
    Server,
    Worker,
    WorkerCrashed,
    WorkflowContext,
    WorkflowExecutionStatus,
    activity,
    workflow,
)
from engines.store import open_store
from engines.trace import OutcomeStatus, Severity, TraceRecorder
from workloads.details import ReplayDetails
from workloads.options import Option, RunOptions
from workloads.order_1001.observations import Order1002, OrderObservations
from workloads.order_1001.order import CANCEL_SIGNAL, CANCEL_WINDOW, ORDER, ORDER_ID, STATUS_QUERY, WORKFLOW_ID, order
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Services
from workloads.workload import WorkloadVersion

SCENARIOS = ("happy", "cancel", "crash", "sick-payment", "declined", "deploy-v2")
#: extra scenarios the lessons use (not part of the side-by-side set)
LESSON_SCENARIOS = ("crash-window", "ship-fails", "reserve-fails", "nondeterministic", "no-worker")

#: Scene 06's policy: 1 s, ×2.0, gaps capped at 8 s, at most 5 attempts; a declined card is final.
PAYMENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=8), maximum_attempts=5,
                            non_retryable_error_types=("CardDeclined",))


#: What Temporal's server answers a signal to a closed workflow (serviceerror.NotFound, consts.ErrWorkflowCompleted).
ALREADY_COMPLETED = "workflow execution already completed"


# --- activities (RED: they touch the world, run at least once, results recorded) -------------
class OrderActivities:
    """The order's activities bound to the services. Each passes its stable idempotency key."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @activity.defn(name="ChargeCard")
    def charge_card(self, order: dict) -> dict:
        i = activity.info()
        return self.services.charge_card(order["order_id"], order["amount_cents"], i.idempotency_key, at=i.current_time)

    @activity.defn(name="RefundCard")
    def refund_card(self, order: dict) -> dict:
        i = activity.info()
        return self.services.refund_card(order["order_id"], order["amount_cents"], i.idempotency_key, at=i.current_time)

    @activity.defn(name="ReserveInventory")
    def reserve_inventory(self, order: dict) -> dict:
        i = activity.info()
        return self.services.reserve_inventory(order["order_id"], order["sku"], order["qty"], i.idempotency_key,
                                               at=i.current_time)

    @activity.defn(name="ReleaseInventory")
    def release_inventory(self, order: dict) -> dict:
        i = activity.info()
        return self.services.release_inventory(order["order_id"], order["sku"], order["qty"], i.idempotency_key,
                                               at=i.current_time)

    @activity.defn(name="ShipPackage")
    def ship_package(self, order: dict, warehouse: str | None = None) -> dict:
        i = activity.info()
        return self.services.ship_package(order["order_id"], warehouse or order["warehouse"], i.idempotency_key,
                                          at=i.current_time)

    @activity.defn(name="SendConfirmationEmail")
    def send_confirmation_email(self, order: dict) -> dict:
        i = activity.info()
        return self.services.send_confirmation_email(order["order_id"], order["email"], i.idempotency_key, at=i.current_time)

    @activity.defn(name="FraudCheck")
    def fraud_check(self, order: dict) -> dict:
        return {"order_id": order["order_id"], "risk": "low"}

    def all(self) -> list[Callable]:
        return [self.charge_card, self.refund_card, self.reserve_inventory, self.release_inventory, self.ship_package,
                self.send_confirmation_email, self.fraud_check]


A = OrderActivities  # workflow code names activities by their unbound methods, as Temporal does


# --- the workflow (BLUE: replayed, deterministic) ---------------------------------------------
@workflow.defn(name="order")
async def order_workflow(ctx: WorkflowContext, order: dict) -> dict:
    """v1: ChargeCard → ReserveInventory → wait up to 30 days for cancelOrder → ShipPackage → email."""
    state = {"step": "ChargeCard", "order_id": order["order_id"]}
    ctx.set_query_handler(STATUS_QUERY, lambda: dict(state))
    saga = Saga(ctx)
    try:
        await ctx.activity(A.charge_card, order, activity_id="charge", retry=PAYMENT_RETRY)
        saga.add(A.refund_card, order, activity_id="refund")
        return await _reserve_wait_ship(ctx, order, saga, state)
    except (ActivityError, CancelledError):
        state["step"] = "compensating"
        await saga.compensate()
        raise


@workflow.defn(name="order")
async def order_workflow_v2(ctx: WorkflowContext, order: dict) -> dict:
    """v2, gated: FraudCheck after ChargeCard for new runs; runs started under v1 keep the v1 path."""
    state = {"step": "ChargeCard", "order_id": order["order_id"]}
    ctx.set_query_handler(STATUS_QUERY, lambda: dict(state))
    saga = Saga(ctx)
    try:
        await ctx.activity(A.charge_card, order, activity_id="charge", retry=PAYMENT_RETRY)
        saga.add(A.refund_card, order, activity_id="refund")
        if ctx.patched("fraud-check"):
            state["step"] = "FraudCheck"
            await ctx.activity(A.fraud_check, order, activity_id="fraud-check")
        return await _reserve_wait_ship(ctx, order, saga, state)
    except (ActivityError, CancelledError):
        state["step"] = "compensating"
        await saga.compensate()
        raise


@workflow.defn(name="order")
async def order_workflow_v2_ungated(ctx: WorkflowContext, order: dict) -> dict:
    """v2 without a version gate: replaying a v1 history diverges at the step after ChargeCard."""
    state = {"step": "ChargeCard", "order_id": order["order_id"]}
    ctx.set_query_handler(STATUS_QUERY, lambda: dict(state))
    saga = Saga(ctx)
    await ctx.activity(A.charge_card, order, activity_id="charge", retry=PAYMENT_RETRY)
    saga.add(A.refund_card, order, activity_id="refund")
    await ctx.activity(A.fraud_check, order, activity_id="fraud-check")
    return await _reserve_wait_ship(ctx, order, saga, state)


async def _reserve_wait_ship(ctx: WorkflowContext, order: dict, saga: Saga, state: dict) -> dict:
    state["step"] = "ReserveInventory"
    await ctx.activity(A.reserve_inventory, order, activity_id="reserve")
    saga.add(A.release_inventory, order, activity_id="release")
    state["step"] = "waiting for cancelOrder (30 days)"
    cancelled = await ctx.wait_condition(lambda: ctx.signals.cancel_order, timeout=CANCEL_WINDOW)
    if cancelled:
        state["step"] = "compensating"
        undone = await saga.compensate()
        state["step"] = "cancelled"
        return {"order_id": order["order_id"], "status": "cancelled", "compensated": undone}
    state["step"] = "ShipPackage"
    await ctx.activity(A.ship_package, order, activity_id="ship")
    state["step"] = "SendConfirmationEmail"
    await ctx.activity(A.send_confirmation_email, order, activity_id="email")
    state["step"] = "done"
    return {"order_id": order["order_id"], "status": "shipped"}


@workflow.defn(name="order-coinflip")
async def order_coinflip(ctx: WorkflowContext, order: dict, inject_random: bool = True) -> dict:
    """Scene 03's broken variant: the branch after ChargeCard reads `random.random()` outside ctx,
    so a replay may take the other branch. With `inject_random=False` it uses `ctx.random()`."""
    await ctx.activity(A.charge_card, order, activity_id="charge")
    coin = random.random() if inject_random else ctx.random().random()  # the bug: random outside ctx
    if coin < 0.5:
        await ctx.activity(A.reserve_inventory, order, activity_id="reserve")
    else:
        await ctx.activity(A.send_confirmation_email, order, activity_id="email")
    await ctx.activity(A.ship_package, order, activity_id="ship")
    return {"order_id": order["order_id"], "coin": coin}


# --- child workflows (scene 10) ----------------------------------------------------------------
@workflow.defn(name="ShipmentWorkflow")
async def shipment_workflow(ctx: WorkflowContext, order: dict, warehouse: str) -> dict:
    """One warehouse's shipment, with its own small history."""
    await ctx.activity(A.ship_package, order, warehouse, activity_id="ship")
    return {"warehouse": warehouse, "status": "shipped"}


@workflow.defn(name="order-split")
async def order_split_workflow(ctx: WorkflowContext, order: dict, warehouses: list[str]) -> dict:
    """The order shipped from several warehouses as child ShipmentWorkflows; one failing child
    does not touch its siblings, and the parent decides what to do about it."""
    await ctx.activity(A.charge_card, order, activity_id="charge", retry=PAYMENT_RETRY)
    await ctx.activity(A.reserve_inventory, order, activity_id="reserve")
    children = [ctx.start_child(shipment_workflow, order, w, id=f"{ctx.info.workflow_id}-{w.lower()}") for w in warehouses]
    results = await ctx.gather(*children, return_exceptions=True)
    outcome = {w: ("failed: " + str(r)) if isinstance(r, Exception) else r["status"] for w, r in zip(warehouses, results)}
    return {"order_id": order["order_id"], "shipments": outcome}


# --- an endless loop and continue-as-new (scene 10) ---------------------------------------------
@workflow.defn(name="ticker")
async def ticker_workflow(ctx: WorkflowContext, ticks: int, done: int = 0, continue_as_new: bool = True,
                          every_seconds: float = 3600) -> dict:
    """Tick `ticks` times (a durable timer each). Each tick adds 5 events; with continue_as_new the
    run restarts itself with a fresh history whenever the engine suggests it, carrying `done`."""
    while done < ticks:
        if continue_as_new and ctx.is_continue_as_new_suggested():
            ctx.continue_as_new(ticks, done, continue_as_new, every_seconds)
        await ctx.sleep(every_seconds)
        done += 1
    return {"ticks": done, "run_id": ctx.info.run_id}


WORKFLOWS = [order_workflow, order_coinflip, shipment_workflow, order_split_workflow, ticker_workflow]


# --- the runner ------------------------------------------------------------------------------
class _Setup:
    """One engine instance on a fresh virtual clock: server, client, services, trace."""

    def __init__(self, db: str | Path, listener: Listener | None, idempotency: bool, limits: HistoryLimits | None = None,
                 workflows: list | None = None) -> None:
        self.clock = VirtualClock(EPOCH)
        self.store = open_store(db)
        self.services = Services(self.store, self.clock)
        self.trace = TraceRecorder("replay", listener)
        self.server = Server(self.store, self.clock, trace=self.trace, limits=limits)
        self.client = Client(self.server, workflows or WORKFLOWS)
        self.activities = OrderActivities(self.services).all()
        self.idempotency = idempotency
        self.workers: list[Worker] = []
        #: What the scenario's action met (a late cancel, a crash after the end), in plain words.
        self.notes: list[str] = []

    def worker(self, workflows: list | None = None, **options: Any) -> Worker:
        w = Worker(self.server, workflows=workflows or WORKFLOWS, activities=self.activities, skip_time=True,
                   idempotency_keys=self.idempotency, **options)
        self.workers.append(w)
        return w

    def day(self, n: float) -> datetime:
        return EPOCH + timedelta(days=n)


def run(scenario: str = "happy", *, day: float | None = None, gate: bool = True, db: str | Path = ":memory:",
        listener: Listener | None = None, idempotency: bool = True) -> WorkloadRun:
    """Run ORDER #1001 under one scenario on a fresh virtual clock with an in-process worker in
    skip-time mode. Outcome figures come from the services' ledger."""
    if scenario not in SCENARIOS + LESSON_SCENARIOS:
        raise ApplicationError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS + LESSON_SCENARIOS)}",
                               type="UnknownScenario")
    s = _Setup(db, listener, idempotency)
    seen = OrderObservations(day=day, idempotency_keys=idempotency)
    workflow_fn: Callable = order_coinflip if scenario == "nondeterministic" else order_workflow
    args: list = [ORDER] + ([True] if scenario == "nondeterministic" else [])
    s.client.start(workflow_fn, *args, id=WORKFLOW_ID)
    if scenario == "sick-payment":
        s.services.inject("payment", "unavailable", times=3)
    elif scenario == "declined":
        s.services.inject("payment", "reject")
    elif scenario == "ship-fails":
        s.services.inject("shipping", "reject")
    elif scenario == "reserve-fails":
        s.services.inject("inventory", "reject")

    if scenario == "cancel":
        cancel_day = 3 if day is None else day
        w = s.worker()
        w.run(until=s.day(cancel_day))
        before = s.client.query(WORKFLOW_ID, STATUS_QUERY)
        late = _signal_cancel(s, cancel_day)
        if late:
            s.notes.append(late)
        seen = replace(seen, day=cancel_day, status_before_signal=before,
                       status_after_signal=s.client.query(WORKFLOW_ID, STATUS_QUERY))
        w.run()
    elif scenario in ("crash", "no-worker"):
        crash_day = 10 if day is None else day
        w = s.worker()
        w.run(until=s.day(crash_day))
        closed = _closed_note(s)
        if scenario == "crash":
            w.crash(f"the worker process died on day {crash_day:g}")
            if closed:
                s.notes.append(f"worker crash on day {crash_day:g}: {closed}; no workflow or activity task was "
                               "in flight, so the crash changed nothing and the new worker found no work")
        else:
            w.stop()
        seen = replace(seen, day=crash_day, live_workers_while_down=s.client.live_workers(),
                       history_when_down=s.client.describe(WORKFLOW_ID).history_length)
        s.worker().run()
    elif scenario == "crash-window":
        crashed = False
        try:
            s.worker(crash_after_effect="ChargeCard").run()
        except WorkerCrashed:
            crashed = True
        seen = replace(seen, crashed=crashed, live_workers_while_down=s.client.live_workers())
        s.worker().run()
    elif scenario == "deploy-v2":
        deploy_day = 10 if day is None else day
        w = s.worker()
        w.run(until=s.day(deploy_day))
        w.stop()
        v2 = order_workflow_v2 if gate else order_workflow_v2_ungated
        s.client.start(v2, order("1002"), id="order-1002")
        s.worker(workflows=[v2]).run()
        fraud_check = any(e.event_type == EventType.ACTIVITY_TASK_SCHEDULED and e.attributes["activity_type"] == "FraudCheck"
                          for e in s.client.history("order-1002"))
        seen = replace(seen, day=deploy_day, gate=gate,
                       order_1002=Order1002(status=s.client.describe("order-1002").status, fraud_check=fraud_check))
    elif scenario == "nondeterministic":
        seeds = iter([1, 1, 0, 0, 0, 0])  # the second replay of the branch flips the coin the other way
        # With no sticky cache every workflow task replays from the top, so the coin is drawn again.
        s.worker(max_cached_workflows=0, on_point=lambda p: p.startswith("workflow-task-started") and random.seed(next(seeds, 0))).run()
    else:
        s.worker().run()
    return _collect(s, scenario, seen)


def _closed_note(s: _Setup) -> str:
    """'the workflow had already completed on day 30' when #1001's run is closed, else ''."""
    d = s.client.describe(WORKFLOW_ID)
    if d.status == WorkflowExecutionStatus.RUNNING:
        return ""
    closed = "" if d.closed_at is None else f" on day {day_of(d.closed_at):g}"
    return f"the workflow had already {d.status.lower()}{closed}"


def _signal_cancel(s: _Setup, day: float) -> str:
    """Signal cancelOrder as a client would. A closed workflow refuses it, as Temporal's server
    does (SignalWorkflowExecution → NotFound "workflow execution already completed"): the refusal
    is this run's answer to a late cancel, recorded in the trace at the day it was sent, and
    returned as a note ('' when the signal was delivered)."""
    try:
        s.client.signal(WORKFLOW_ID, CANCEL_SIGNAL)
        return ""
    except ReplayError as exc:
        closed = _closed_note(s)
        if not closed:  # refused while running: not a late cancel, a real error
            raise
        note = (f"cancelOrder on day {day:g}: SignalWorkflowExecution failed with NotFound \"{ALREADY_COMPLETED}\" "
                f"({closed}; the engine said: {exc}); the signal reached no code and changed nothing")
        s.trace.emit(s.clock.now(), "SignalWorkflowExecution failed", WORKFLOW_ID, note, Severity.WARNING,
                     signal=CANCEL_SIGNAL, error="NotFound", message=ALREADY_COMPLETED)
        return note


def _collect(s: _Setup, scenario: str, seen: OrderObservations) -> WorkloadRun:
    d = s.client.describe(WORKFLOW_ID)
    problems = list(s.notes) + [w for worker in s.workers for w in worker.stats.problems]
    if d.status == "Completed":
        status = OutcomeStatus.CANCELED if (d.result or {}).get("status") == "cancelled" else OutcomeStatus.COMPLETED
    elif d.status == "Failed" or d.status == "Terminated":
        status = OutcomeStatus.FAILED
        problems.append(f"workflow {d.status.lower()}: {(d.failure or {}).get('message', '')}")
    elif d.status == "Canceled":
        status = OutcomeStatus.CANCELED
    else:
        status = OutcomeStatus.RUNNING if d.stuck else OutcomeStatus.WAITING
        if d.stuck:
            problems.append(f"the run is stuck and stays open until the code is fixed: {d.stuck}")
    details = ReplayDetails.of(s.client, WORKFLOW_ID, s.workers)
    seen = replace(seen, statement_cents=s.services.ledger(ORDER_ID).statement_cents(ORDER_ID),
                   payment_calls=[c["answer"] for c in s.services.calls("payment")])
    for w in s.workers:
        if not w.dead:
            w.stop()
    ledger = s.services.ledger(ORDER_ID)
    outcome = outcome_from_ledger("replay", status, ledger, ORDER_ID, slot_seconds=0.0, events=d.history_length,
                                  problems=problems, result=d.result)
    return WorkloadRun(engine="replay", workload=WorkloadName.ORDER_1001, scenario=scenario, trace=list(s.trace.events),
                       outcome=outcome, ledger=ledger, details=details, observed=seen)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, gate=options.gate, db=options.db, listener=options.listener,
               idempotency=options.idempotency)


#: The side-by-side set; LESSON_SCENARIOS are run by the lessons through `run` itself.
WORKLOAD = WorkloadVersion(WorkloadName.ORDER_1001, "replay", SCENARIOS,
                           frozenset({Option.DAY, Option.GATE, Option.IDEMPOTENCY}), _run_with)


# --- lesson helpers ------------------------------------------------------------------------------
def run_split(warehouses: tuple[str, ...] = ("WH-East", "WH-West"), failing: str | None = "WH-West",
              db: str | Path = ":memory:", listener: Listener | None = None) -> dict[str, Any]:
    """Scene 10: two child ShipmentWorkflows; `failing`'s shipment is refused (AddressRejected)
    and fails alone. Returns the parent's result and each workflow's status and history length."""
    s = _Setup(db, listener, True)
    order_ws = list(warehouses)
    if failing is not None:  # the shipping service refuses the first shipment: start that child first
        s.services.inject("shipping", "reject", times=1)
        order_ws.sort(key=lambda w: w != failing)
    s.client.start(order_split_workflow, ORDER, order_ws, id=WORKFLOW_ID)
    w = s.worker()
    w.run()
    out: dict[str, Any] = {"parent": s.client.describe(WORKFLOW_ID).to_json(), "children": {},
                           "trace": list(s.trace.events), "ledger": s.services.ledger()}
    for wh in warehouses:
        d = s.client.describe(f"{WORKFLOW_ID}-{wh.lower()}")
        out["children"][wh] = {"status": d.status, "history_length": d.history_length, "failure": d.failure,
                               "history": s.client.history_rows(d.workflow_id)}
    return out


def run_ticker(ticks: int = 60, *, continue_as_new: bool = True, limits: HistoryLimits = HistoryLimits(warn=100, terminate=200),
               db: str | Path = ":memory:", listener: Listener | None = None) -> dict[str, Any]:
    """Scene 10: an endless loop against a history limit, with or without continue-as-new."""
    s = _Setup(db, listener, True, limits=limits)
    s.client.start(ticker_workflow, ticks, 0, continue_as_new, id="ticker")
    s.worker().run(max_tasks=ticks * 4 + 50)
    runs = s.client.runs("ticker")
    return {"runs": [{"run_id": r.run_id, "status": r.status, "history_length": r.history_length} for r in runs],
            "final_status": runs[-1].status, "result": runs[-1].result, "limits": {"warn": limits.warn, "terminate": limits.terminate},
            "trace": list(s.trace.events)}
