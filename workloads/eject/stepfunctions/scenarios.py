"""Each workload's scenarios as the exported deploy scripts play them: the world they start from
(seeded rows, faults injected on the services), the execution they start, and what happens on
which day (a SendTaskSuccess with the stored token, a cancelOrder, a StopExecution, a new
version published), the same days and faults as the state-machine engine's run().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from engines.clock import EPOCH
from engines.store import Store, open_store
from workloads.eject.real import RealRunError

#: What an action may do: the clients, the exported modules, and the run's shared record.
Do = Callable[["Stage"], None]


@dataclass
class Stage:
    """What a scheduled action works with, and where it leaves what it did."""

    clients: dict[str, Any]
    modules: dict[str, ModuleType]
    state_machine_arn: str
    executions: list[str]
    notes: list[str]
    now: Callable[[], datetime]

    @property
    def deploy(self) -> ModuleType:
        return self.modules["deploy"]


@dataclass
class Action:
    """Something the scenario does at a virtual time (seconds after day 0)."""

    at_s: float
    name: str
    do: Do
    #: Done again every this many seconds while an execution runs (a review queue's daily sweep).
    every_s: float | None = None


@dataclass
class Plan:
    """One scenario of one workload, ready to play."""

    execution_name: str
    payload: Any
    ledger_key: str | None
    prepare: Callable[[str], None] = lambda db: None
    environment: dict[str, str] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    #: Further executions started right after the first (name, input): a batch's other uploads.
    also_start: list[tuple[str, Any]] = field(default_factory=list)
    #: The state machine starts its own successors (states:startExecution): the run finds them
    #: with ListExecutions, and reads the last of the chain as the scenario's, as the mini-engine does.
    successors: bool = False


def _on_store(db: str, change: Callable[[Store], None]) -> None:
    """Open the run's world, make one change to it, close it (the handlers open their own)."""
    store = open_store(db)
    try:
        change(store)
    finally:
        store.close()


def _days(n: float) -> float:
    return timedelta(days=n).total_seconds()


def _checked_day(day: float | None, default: float) -> float:
    n = default if day is None else float(day)
    if not 0 <= n <= 3650:
        raise RealRunError(f"--day must be between 0 and 3650, got {n:g}")
    return n


def order_1001(scenario: str, day: float | None, plain_stop: bool) -> Plan:
    from workloads.order_1001.order import CANCEL_SIGNAL, ORDER_ID, WORKFLOW_ID, order
    from workloads.services import Services

    def faults(store: Store) -> None:
        services = Services(store)
        if scenario == "sick-payment":
            services.inject("payment", "unavailable", times=3)
        if scenario == "declined":
            services.inject("payment", "reject")

    plan = Plan(WORKFLOW_ID, order(), ORDER_ID, lambda db: _on_store(db, faults))
    if scenario == "cancel":
        n = _checked_day(day, 3.0)

        def cancel(s: Stage) -> None:
            if plain_stop:
                s.clients["stepfunctions"].stop_execution(executionArn=s.executions[0], error=CANCEL_SIGNAL,
                                                          cause="stopped by an operator")
                return
            why = s.deploy.cancel(s.clients)
            if why:
                s.notes.append(f"cancelOrder on day {n:g}: {why}; the cancel reached no state and changed nothing")

        plan.actions.append(Action(_days(n), CANCEL_SIGNAL, cancel))
    elif scenario == "crash":
        n = _checked_day(day, 10.0)

        def lost(s: Stage) -> None:
            s.notes.append(f"day {n:g}: the mini-engine loses its interpreter process here; Step Functions' "
                           "interpreter is the service's own, so there is no process of ours to lose and the "
                           "execution simply goes on")

        plan.actions.append(Action(_days(n), "interpreter lost", lost))
    elif scenario == "deploy-v2":
        n = _checked_day(day, 1.0)

        def deploy_v2(s: Stage) -> None:
            s.executions.append(s.deploy.publish_v2(s.clients, s.state_machine_arn))
            s.notes.append(f"day {n:g}: version 2 (with FraudCheck) published and order-1002 started on it; "
                           "order-1001 keeps version 1")

        plan.actions.append(Action(_days(n), "deploy-v2", deploy_v2))
    elif day is not None:
        raise RealRunError(f"order-1001's {scenario} scenario takes no --day")
    return plan


def expense_approval(scenario: str, day: float | None, plain_stop: bool) -> Plan:
    from workloads.expense_approval import claim as c

    def inbox(store: Store) -> None:
        c.Inbox(store)  # the approvals inbox's table, before ask-manager writes to it

    plan = Plan(c.WORKFLOW_ID, c.CLAIM, c.CLAIM_ID, lambda db: _on_store(db, inbox))
    decision = c.ANSWERS[scenario]
    at = c.answer_time(day)
    if decision is not None:
        def answer(s: Stage) -> None:
            try:
                why = s.deploy.answer(s.clients, decision)
            except c.ClaimError as exc:
                s.notes.append(f"the manager answered on day {(at - EPOCH) / timedelta(days=1):g}: {exc}")
                return
            if why:
                s.notes.append(c.late_answer_note((at - EPOCH) / timedelta(days=1)) + f" ({why})")

        plan.actions.append(Action((at - EPOCH).total_seconds(), f"manager answers {decision}", answer))
    return plan


def nightly_etl(scenario: str, day: float | None, plain_stop: bool) -> Plan:
    from workloads.nightly_etl.tables import FLAKY_FAILURES, seed

    ds = EPOCH.date().isoformat()
    if day is not None:
        raise RealRunError("nightly-etl takes no --day: last night's refresh runs on day 0")
    failures = FLAKY_FAILURES if scenario == "flaky-transform" else 0
    return Plan(f"nightly-etl-{ds}", {"ds": ds}, None,
                lambda db: _on_store(db, lambda store: seed(store, ds, bad=scenario == "bad-data")),
                {"TRANSIENT_WAREHOUSE_FAILURES": str(failures)})


def kyc_review(scenario: str, day: float | None, plain_stop: bool) -> Plan:
    from workloads.kyc import case as k

    def first_documents(store: Store) -> None:
        k.CaseFile(store).receive_documents(1, EPOCH)  # the case opens with document set 1

    plan = Plan(k.WORKFLOW_ID, k.CASE, k.CASE_ID, lambda db: _on_store(db, first_documents))

    def sweep(s: Stage) -> None:
        s.deploy.heartbeat(s.clients)  # refused between tokens (a loop back through the check): next day's finds the new one

    plan.actions.append(Action(_days(1), "review queue heartbeat", sweep, every_s=_days(1)))
    for action in k.scenario_actions(scenario, day):
        def act(s: Stage, action: k.Action = action) -> None:
            what = action.kind.replace("-", " ")
            try:
                if action.kind is k.ActionKind.NEW_DOCUMENTS:
                    assert action.version is not None
                    why = s.deploy.new_documents(s.clients, action.version)
                else:
                    assert action.decision is not None
                    why = s.deploy.decide(s.clients, action.decision)
            except k.KycError as exc:
                why = str(exc)
            if why:
                s.notes.append(k.late_note(what, action.day) + f" ({why})")

        plan.actions.append(Action(_days(action.day), str(action.kind), act))
    return plan


def thumbnail_fan_out(scenario: str, day: float | None, plain_stop: bool, uploads_n: int | None = None) -> Plan:
    """One execution per upload, as deploy.py's start-uploads does; the first is the scenario's.
    `uploads_n`: the batch's first N uploads only (the batch-1000 scenario in a smaller size)."""
    from workloads.thumbnails import images as im

    if day is not None:
        raise RealRunError("thumbnail-fan-out takes no --day: every upload arrives on day 0")
    uploads = im.uploads_for(scenario)
    if uploads_n is not None:
        if scenario != "batch-1000" or not 1 <= uploads_n <= len(uploads):
            raise RealRunError(f"uploads={uploads_n}: only batch-1000 takes a size, from 1 to {len(uploads)}")
        uploads = uploads[:uploads_n]

    def seed(db: str) -> None:
        def change(store: Store) -> None:
            images = im.ImageStore(store)
            images.add_uploads(uploads)
            if scenario == "flaky-size":
                images.inject_flaky(uploads[0]["upload_id"], im.FLAKY_SIZE)

        _on_store(db, change)

    def start(u: im.Upload) -> tuple[str, Any]:
        return f"thumbnails-{u['upload_id']}", {"upload": u, "sizes": list(im.SIZES)}

    first, *rest = [start(u) for u in uploads]
    return Plan(first[0], first[1], None, seed, also_start=rest)


def subscription_renewal(scenario: str, day: float | None, plain_stop: bool) -> Plan:
    """Three years of renewals: the first execution, its successors started by the state machine
    itself, and the customer's one action on the account page (the table) at its time."""
    from workloads.subscription import billing as b
    from workloads.subscription.statemachine import first_input

    actions = b.actions(scenario, day)  # validates --day

    def subscribe(store: Store) -> None:
        b.Subscriptions(store).create(b.EXPIRING_CARD if scenario == "declined" else b.CARD, EPOCH)

    def seed(db: str) -> None:
        _on_store(db, subscribe)

    plan = Plan(f"{b.SUB_ID}-from-renewal-1", first_input(), b.SUB_ID, seed, successors=True)
    for action in actions:
        def act(s: Stage, action: b.Action = action) -> None:
            s.deploy.account_page(action.kind, s.now())

        plan.actions.append(Action((action.at - EPOCH).total_seconds(), f"account page: {action.kind}", act))
    return plan


#: Each exported workload's plans.
PLANS: dict[str, Callable[[str, float | None, bool], Plan]] = {
    "order-1001": order_1001, "expense-approval": expense_approval, "nightly-etl": nightly_etl,
    "kyc-review": kyc_review, "thumbnail-fan-out": thumbnail_fan_out,
    "subscription-renewal": subscription_renewal,
}
