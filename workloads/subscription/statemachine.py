"""The subscription on the state-machine engine: a Wait-a-month loop that hands over to a successor.

The ASL in statemachine.json waits until each renewal's timestamp, charges, emails the receipt,
and loops. A Standard execution may run one year at most (the definition's TimeoutSeconds
says so, so the engine enforces it) and hold 25,000 history events at most; after 11 renewals
(about 335 days) the loop starts a new execution of itself with `states:startExecution`, its
state as the input, and succeeds. Nothing can be sent to a running execution, so the price, the
card on file and the cancel are rows in the subscriptions table that the charge function reads
(a cancel takes effect at the next renewal, which charges nothing and ends the chain).
A declined card is the Task's Retry: once a day for 14 days, each attempt reading the card on file.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engines.statemachine import Engine, HistoryEventType, Resources, TaskContext
from engines.statemachine.execution import machine_arn
from engines.statemachine.quotas import MAX_HISTORY_EVENTS
from engines.statemachine.timestamps import parse_iso
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import StatemachineDetails
from workloads.options import Option, RunOptions
from workloads.runs import STATEMACHINE_STATUS, Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import CardDeclined, Services
from workloads.subscription import billing as b
from workloads.subscription import observations as obs
from workloads.subscription.billing import SubscriptionStatus
from workloads.subscription.observations import RunUsed, SubscriptionObservations
from workloads.workload import WorkloadVersion

SCENARIOS = b.SCENARIOS
DEFINITION_PATH = Path(__file__).with_name("statemachine.json")
STATE_MACHINE = "subscription-renewal"
#: Renewals per execution: 11 months is at most 335 days; 12 would reach 365 (366 over a leap day).
RENEWALS_PER_EXECUTION = 11
#: A Standard workflow's maximum execution duration (service-quotas.html): one year.
MAX_DURATION = timedelta(days=365)


def definition() -> dict:
    """The ASL in statemachine.json, read fresh (callers may change their copy)."""
    return json.loads(DEFINITION_PATH.read_text())


def _ts(t: datetime) -> str:
    """RFC 3339 with an uppercase T and Z, as a Wait state's Timestamp wants it."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def first_input(renewals_per_execution: int = RENEWALS_PER_EXECUTION) -> dict[str, Any]:
    return {"subscription_id": b.SUB_ID, "period": 1, "renewal_at": _ts(b.renewal_at(1)), "term": b.TERM_PERIODS,
            "hand_over_after": renewals_per_execution, "renewals_per_execution": renewals_per_execution}


def resources(services: Services, subs: b.Subscriptions) -> Resources:
    """Bind the function names in the ARNs to the renewal's service calls (the table is their memory)."""
    def charge(p: dict, ctx: TaskContext) -> dict:
        period = int(p["period"])
        row = subs.row(p["subscription_id"])
        if row["status"] != SubscriptionStatus.ACTIVE:
            return {"status": row["status"], "amount_cents": 0, "next_renewal_at": None}
        try:
            b.charge_renewal(services, period, row["price_cents"], subs.card(), ctx.now)
        except CardDeclined:
            b.send_declined(services, period, ctx.now)
            raise  # the Task's Retry tries again tomorrow, with whatever card is on file then
        return {"status": "charged", "amount_cents": row["price_cents"], "next_renewal_at": _ts(b.renewal_at(period + 1))}

    r = Resources()
    r.register("charge-renewal", charge)
    r.register("send-receipt", lambda p, ctx: b.send_receipt(services, int(p["period"]), int(p["amount_cents"]), ctx.now))
    return r


def run(scenario: str = "happy", *, day: float | None = None, renewals_per_execution: int = RENEWALS_PER_EXECUTION,
        db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """Three years of renewals on a fresh virtual clock; the customer acts as the scenario says, or on `day`."""
    w = b.World.open(scenario, "statemachine", db)
    clock, store, services, subs = w.clock, w.store, w.services, w.subscriptions
    recorder = TraceRecorder("statemachine", listener)
    engine = Engine(store, clock, resources(services, subs), recorder=recorder)
    engine.create_state_machine(STATE_MACHINE, definition())
    engine.start_execution(STATE_MACHINE, first_input(renewals_per_execution), name=f"{b.SUB_ID}-from-renewal-1")
    problems = b.day_notes(scenario, day)
    for action in b.actions(scenario, day):
        engine.run_until_idle(until=action.at)
        b.apply(subs, action, clock.now())  # the account page writes the table; no execution hears of it
    engine.run_until_idle(until=max(b.horizon(), clock.now()))
    return _result(engine, scenario, services, subs, renewals_per_execution, problems)


def _result(engine: Engine, scenario: str, services: Services, subs: b.Subscriptions,
            renewals_per_execution: int, problems: list[str]) -> WorkloadRun:
    executions = engine.list_executions()
    used: list[RunUsed] = []
    for e in executions:
        d = engine.describe_execution(e["executionArn"])
        history = engine.get_execution_history(e["executionArn"])
        start = parse_iso(d["startDate"])
        stop = parse_iso(d["stopDate"]) if d["stopDate"] else None
        used.append(RunUsed(e["executionArn"], d["status"], charged_in(history), len(history), start, stop))
        if d["status"] not in ("SUCCEEDED", "RUNNING"):
            problems.append(f"execution {e['name']} {d['status']}: {d['error']}: {d['cause']}")
    last = executions[-1]["executionArn"]
    desc = engine.describe_execution(last)
    ends = [ev.state for ev in engine.get_execution_history(last) if ev.type == HistoryEventType.SUCCEED_STATE_ENTERED]
    end = ends[-1] if ends else None
    row = subs.row()
    if end == "TermEnded":
        status, final = OutcomeStatus.COMPLETED, SubscriptionStatus.ENDED
        subs.set_status(final, engine.clock.now())
    elif end == "Canceled":
        status, final = OutcomeStatus.CANCELED, SubscriptionStatus(row["status"])
    elif desc["error"] == "SubscriptionPastDue":
        status, final = OutcomeStatus.FAILED, SubscriptionStatus.PAST_DUE
        subs.set_status(final, engine.clock.now())
    else:
        status = STATEMACHINE_STATUS.get(desc["status"], OutcomeStatus.FAILED)
        final = SubscriptionStatus(row["status"])
    cents, counts = obs.charges(services)
    canceled, priced = obs.scenario_months(scenario)
    observed = SubscriptionObservations(
        charges_by_period=cents, charge_count_by_period=counts, declined_periods=obs.declined(services),
        receipts=sum(1 for e in services.ledger(b.SUB_ID).of("email", b.SUB_ID) if "receipt" in e.detail),
        runs=tuple(used), history_limit=MAX_HISTORY_EVENTS, final_status=final.value, canceled_month=canceled,
        price_change_month=priced, notes=tuple(limit_notes(used, cents, renewals_per_execution)) + _NOTES.get(scenario, ()))
    ledger = services.ledger(b.SUB_ID)
    details = StatemachineDetails.of(engine, STATE_MACHINE, last, definition())
    outcome = outcome_from_ledger("statemachine", status, ledger, b.SUB_ID, events=sum(r.history_length for r in used),
                                  problems=problems, result={"executions": len(used), "output": desc["output"],
                                                             "status": final.value})
    return WorkloadRun("statemachine", WorkloadName.SUBSCRIPTION, scenario, list(engine.recorder.events), outcome,
                       ledger, details, observed)


#: How this engine met each scenario's customer, in one line.
_NOTES: dict[str, tuple[str, ...]] = {
    "cancel": ("nothing can be sent to a running execution: the cancel is the table's status, which the next "
               "renewal's charge function reads, charging nothing and ending the chain (StopExecution would abort it)",),
    "declined": (f"ChargeRenewal's Retry on CardDeclined (every 86,400 s, 14 attempts) tried renewal "
                 f"{b.DECLINED_PERIOD} again each day; each attempt read the card on file, so the one after the "
                 "customer's new card was charged",),
    "price-change": ("the running execution's state never held the price: the charge function reads it from the "
                     "table, so the execution in flight charged the new price from the next renewal",),
}


def charged_in(history: list) -> tuple[int, ...]:
    """The renewals an execution charged, read from its history: ChargeRenewal's TaskScheduled
    input names the period, its TaskSucceeded output says whether it charged."""
    out: list[int] = []
    period = 0
    for ev in history:
        if ev.state != "ChargeRenewal":
            continue
        if ev.type == HistoryEventType.TASK_SCHEDULED:
            period = int(ev.details["input"]["Payload"]["period"])
        elif ev.type == HistoryEventType.TASK_SUCCEEDED and ev.details["output"]["Payload"]["status"] == "charged":
            out.append(period)
    return tuple(out)


def limit_notes(used: list[RunUsed], cents: dict[int, int], renewals_per_execution: int) -> list[str]:
    """When each Standard-workflow limit would have been hit, by one execution running the whole term."""
    notes = [f"{len(used)} executions of {machine_arn(STATE_MACHINE).split(':')[-1]}, a new one every "
             f"{renewals_per_execution} renewals: durations of {', '.join(f'{r.days:.0f}' for r in used)} days "
             f"(limit {MAX_DURATION.days}), histories of {', '.join(str(r.history_length) for r in used)} events "
             f"(limit {MAX_HISTORY_EVENTS:,})"]
    full = [r for r in used if len(r.periods) >= 2]
    if not used or not cents:
        return notes
    start = used[0].started or b.renewal_at(0)
    deadline = start + MAX_DURATION
    last_in_year = max(k for k in range(0, b.TERM_PERIODS + 2) if b.renewal_at(k) < deadline)
    per = (full[0].history_length / len(full[0].periods)) if full else 0.0
    one = sum(r.history_length for r in used)
    if max(cents) > last_in_year:
        notes.append(f"one execution for the whole term would have reached the 1-year maximum on {deadline:%Y-%m-%d} "
                     f"after renewal {last_in_year}: States.Timeout, and renewals {last_in_year + 1}-{max(cents)} "
                     "would never have been charged")
    if per:
        at = int(MAX_HISTORY_EVENTS / per)
        notes.append(f"its history would have held about {one:,} events by the end ({per:.0f} a renewal): the "
                     f"25,000-event limit would only have come at renewal {at:,}, some {at // 12} years in, long after "
                     "the 1-year limit")
    return notes


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.SUBSCRIPTION, "statemachine", SCENARIOS, frozenset({Option.DAY}), _run_with)
