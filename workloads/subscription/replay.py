"""The subscription on the replay engine: one workflow per customer, looping for years.

`subscription_workflow` waits for the next renewal with a durable timer (a `wait_condition` on
the cancelSubscription signal with the month as its timeout), charges the card with an
idempotency key per period, emails the receipt, and goes round again. The plan's price and the
card on file are the workflow's own state: `changePrice` and `updateCard` signals change them
in flight, `getSubscriptionStatus` reads them. A declined card (CardDeclined, not retried) sends
the dunning email and waits up to 14 days for `updateCard`, then charges the same period again.

Every loop adds events to the history, which Temporal replays in full on every workflow task
and caps (51,200 events by default). So every PERIODS_PER_RUN renewals, or sooner if the server
suggests it, the workflow continues-as-new: the run closes and a new run of the same workflow
id starts with a fresh history, carrying the state as its input. The history per run stays
bounded however many years the customer stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from engines.replay import (
    ActivityError,
    Client,
    EventType,
    HistoryLimits,
    ReplayError,
    RetryPolicy,
    Server,
    Worker,
    WorkflowContext,
    activity,
    workflow,
)
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import ReplayDetails
from workloads.options import Option, RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Services
from workloads.subscription import billing as b
from workloads.subscription import observations as obs
from workloads.subscription.billing import Card, SubscriptionStatus
from workloads.subscription.observations import RunUsed, SubscriptionObservations
from workloads.workload import WorkloadVersion

SCENARIOS = b.SCENARIOS
#: Renewals per run before the workflow continues-as-new (a year's worth).
PERIODS_PER_RUN = 12
#: Money moves: retry a sick payment API, never a declined card (a new card is the only fix).
PAYMENT_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=("CardDeclined",))


class SubscriptionActivities:
    """The renewal's activities bound to the services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @activity.defn(name="ChargeRenewal")
    def charge_renewal(self, period: int, price_cents: int, card: Card) -> dict:
        return b.charge_renewal(self.services, period, price_cents, card, activity.info().current_time)

    @activity.defn(name="SendReceipt")
    def send_receipt(self, period: int, price_cents: int) -> dict:
        return b.send_receipt(self.services, period, price_cents, activity.info().current_time)

    @activity.defn(name="SendDeclined")
    def send_declined(self, period: int) -> dict:
        return b.send_declined(self.services, period, activity.info().current_time)

    def all(self) -> list[Callable]:
        return [self.charge_renewal, self.send_receipt, self.send_declined]


A = SubscriptionActivities


def initial_state(card: Card, term: int = b.TERM_PERIODS, periods_per_run: int = PERIODS_PER_RUN) -> dict[str, Any]:
    """The workflow's input: what it carries from one run to the next."""
    return {"subscription_id": b.SUB_ID, "price_cents": b.PRICE_CENTS, "card": dict(card), "period": 0,
            "term": term, "periods_per_run": periods_per_run, "run": 1}


@workflow.defn(name="SubscriptionWorkflow")
async def subscription_workflow(ctx: WorkflowContext, state: dict) -> dict:
    """Renew monthly until the term ends or the customer cancels; continue-as-new every year."""
    state = dict(state)
    first = state["period"]
    step = {"status": SubscriptionStatus.ACTIVE.value}

    def status() -> dict:
        return {**step, "period": state["period"], "price_cents": state["price_cents"],
                "card_id": state["card"]["card_id"], "run": state["run"], "history_length": ctx.history_length}

    ctx.set_query_handler(b.STATUS_QUERY, status)

    def heard() -> None:
        """Apply the latest changePrice / updateCard signal of this run to the state."""
        if ctx.signals.changePrice is not None:
            state["price_cents"] = int(ctx.signals.changePrice["price_cents"])
        if ctx.signals.updateCard is not None:
            state["card"] = dict(ctx.signals.updateCard)

    def ended(why: SubscriptionStatus) -> dict:
        step["status"] = why.value
        return {"subscription_id": state["subscription_id"], "status": why.value, "periods": state["period"],
                "price_cents": state["price_cents"], "run": state["run"]}

    while state["period"] < state["term"]:
        if state["period"] - first >= state["periods_per_run"] or ctx.is_continue_as_new_suggested():
            ctx.continue_as_new({**state, "run": state["run"] + 1})
        period = state["period"] + 1
        wait = b.renewal_at(period) - ctx.now()
        if await ctx.wait_condition(lambda: ctx.signals.cancelSubscription is not None, timeout=wait):
            return ended(SubscriptionStatus.CANCELED)
        heard()
        while True:
            card = state["card"]
            try:
                await ctx.activity(A.charge_renewal, period, state["price_cents"], card,
                                   activity_id=f"charge-{period}-{card['card_id']}", retry=PAYMENT_RETRY)
                break
            except ActivityError as exc:
                if exc.cause.type != "CardDeclined":
                    raise
            await ctx.activity(A.send_declined, period, activity_id=f"declined-{period}")
            step["status"] = f"renewal {period} declined: waiting for {b.CARD_SIGNAL}"
            got = await ctx.wait_condition(lambda: ctx.signals.cancelSubscription is not None or (
                ctx.signals.updateCard is not None and ctx.signals.updateCard["card_id"] != card["card_id"]),
                timeout=b.DUNNING_WINDOW)
            if ctx.signals.cancelSubscription is not None:
                return ended(SubscriptionStatus.CANCELED)
            if not got:
                return ended(SubscriptionStatus.PAST_DUE)
            step["status"] = SubscriptionStatus.ACTIVE.value
            heard()
        await ctx.activity(A.send_receipt, period, state["price_cents"], activity_id=f"receipt-{period}")
        state["period"] = period
    return ended(SubscriptionStatus.ENDED)


_SIGNALS = {b.CustomerAction.CANCEL: b.CANCEL_SIGNAL, b.CustomerAction.CHANGE_PRICE: b.PRICE_SIGNAL,
            b.CustomerAction.UPDATE_CARD: b.CARD_SIGNAL}
_STATUS = {SubscriptionStatus.ENDED: OutcomeStatus.COMPLETED, SubscriptionStatus.CANCELED: OutcomeStatus.CANCELED,
           SubscriptionStatus.PAST_DUE: OutcomeStatus.FAILED}


def run(scenario: str = "happy", *, day: float | None = None, limits: HistoryLimits | None = None,
        periods_per_run: int = PERIODS_PER_RUN, db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """The subscription's three years on a fresh virtual clock; the customer acts as the scenario
    says, or on `day`."""
    w = b.World.open(scenario, "replay", db)
    clock, store, services, subs = w.clock, w.store, w.services, w.subscriptions
    trace = TraceRecorder("replay", listener)
    server = Server(store, clock, trace=trace, limits=limits)
    client = Client(server, [subscription_workflow])
    worker = Worker(server, workflows=[subscription_workflow], activities=A(services).all(), skip_time=True)
    client.start(subscription_workflow, initial_state(w.first_card(), periods_per_run=periods_per_run),
                 id=b.WORKFLOW_ID)
    problems: list[str] = b.day_notes(scenario, day)
    status_after: dict | None = None
    for action in b.actions(scenario, day):
        worker.run(until=action.at)
        row = b.apply(subs, action, clock.now())  # the account page writes the table, then signals
        payload: Any = {"at": clock.now().isoformat()}
        if action.kind is b.CustomerAction.CHANGE_PRICE:
            payload = {"price_cents": row["price_cents"]}
        elif action.kind is b.CustomerAction.UPDATE_CARD:
            payload = {"card_id": row["card_id"], "expires": row["card_expires"]}
        try:
            client.signal(b.WORKFLOW_ID, _SIGNALS[action.kind], payload)
        except ReplayError as exc:  # the workflow already closed: nobody to hear it
            problems.append(f"{_SIGNALS[action.kind]} found no running workflow (SignalWorkflowExecution: {exc})")
            continue
        worker.run(max_tasks=4)  # the workflow task the signal caused
        status_after = client.query(b.WORKFLOW_ID, b.STATUS_QUERY)
    worker.run(until=max(b.horizon(), clock.now()))
    d = client.describe(b.WORKFLOW_ID)
    worker.stop()
    result: dict[str, Any] = d.result or {}
    problems += list(worker.stats.problems)
    end = SubscriptionStatus(result["status"]) if result.get("status") else None
    if end is None:
        problems.append(f"workflow {d.status.lower()}: {(d.failure or {}).get('message', 'still running at the horizon')}")
        status = OutcomeStatus.FAILED if d.status != "Running" else OutcomeStatus.WAITING
    else:
        status = _STATUS[end]
        subs.set_status(end, clock.now())
    runs = tuple(RunUsed(r.run_id, r.status, (), r.history_length) for r in client.runs(b.WORKFLOW_ID))
    runs = _with_periods(client, runs)
    lim = server.limits
    cents, counts = obs.charges(services)
    canceled, priced = obs.scenario_months(scenario)
    one_run = sum(r.history_length for r in runs) - 5 * (len(runs) - 1)  # less each later run's start and close
    top = max(r.history_length for r in runs)
    bound = (f"never above the {lim.warn:,}-event warning or the {lim.terminate:,}-event limit" if top < lim.warn else
             f"the longest reached {top:,}, past the {lim.warn:,}-event warning (limit {lim.terminate:,})")
    notes = (f"{len(runs)} runs of workflow {b.WORKFLOW_ID}, continue-as-new every {periods_per_run} renewals "
             f"(or from {lim.suggest_at:,} events, when the server suggests it): histories of "
             f"{', '.join(str(r.history_length) for r in runs)} events, {bound}",
             f"one run for the whole {len(cents)} renewals would have held about {one_run:,} events and kept "
             f"growing every month, replayed in full on every workflow task") + _scenario_notes(scenario)
    observed = SubscriptionObservations(
        charges_by_period=cents, charge_count_by_period=counts, declined_periods=obs.declined(services),
        receipts=sum(1 for e in services.ledger(b.SUB_ID).of("email", b.SUB_ID) if "receipt" in e.detail),
        runs=runs, history_limit=lim.terminate, final_status=end.value if end else d.status,
        canceled_month=canceled, price_change_month=priced, notes=notes)
    details = ReplayDetails.of(client, b.WORKFLOW_ID, [worker])
    ledger = services.ledger(b.SUB_ID)
    outcome = outcome_from_ledger("replay", status, ledger, b.SUB_ID, events=sum(r.history_length for r in runs),
                                  problems=problems, result={**result, "status_after_action": status_after})
    return WorkloadRun("replay", WorkloadName.SUBSCRIPTION, scenario, list(trace.events), outcome, ledger, details,
                       observed)


def _scenario_notes(scenario: str) -> tuple[str, ...]:
    """How this engine met the scenario's customer, in one line."""
    return {
        "cancel": (f"the {b.CANCEL_SIGNAL} signal woke the month's timer early: the workflow returned and no "
                   "renewal after it was charged",),
        "declined": (f"renewal {b.DECLINED_PERIOD}'s CardDeclined is not retried (a new card is the only fix): the "
                     f"workflow emailed the customer and waited on {b.CARD_SIGNAL} (up to {b.DUNNING_WINDOW.days} days); "
                     "the new card was charged the moment the signal came",),
        "price-change": (f"the {b.PRICE_SIGNAL} signal changed the running workflow's own state: the next renewal "
                         "charged the new price",),
    }.get(scenario, ())


def _with_periods(client: Client, runs: tuple[RunUsed, ...]) -> tuple[RunUsed, ...]:
    """Each run with the renewals it charged (its ChargeRenewal completions) and its first and last event times."""
    out = []
    for r in runs:
        history = client.history(b.WORKFLOW_ID, r.run_id)
        charged = tuple(int(e.attributes["result"]["period"]) for e in history
                        if e.event_type == EventType.ACTIVITY_TASK_COMPLETED
                        and e.attributes.get("activity_type") == "ChargeRenewal")
        out.append(RunUsed(r.run_id, r.status, charged, r.history_length, history[0].time, history[-1].time))
    return tuple(out)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.SUBSCRIPTION, "replay", SCENARIOS, frozenset({Option.DAY}), _run_with)
