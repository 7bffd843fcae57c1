"""Scene 06: ChargeCard under a retry policy against an overloaded payment API.

The student's four numbers become the activity's RetryPolicy on the replay engine. Attempt times
and gaps are read from the engine's trace (each attempt is a fresh activity task) and checked
against the payment service's own call log. The API is load-dependent: it has `backlog_s`
seconds of work queued and every call it refuses adds a second more, so retries a second apart
never let it recover and backoff does; the demo plays the same policy without backoff (×1.0)
beside it to show that. CardDeclined is non-retryable. The cron contrast is computed, not quoted:
the plain function rerun every 5 minutes against the same service, until a run succeeds (or 12
runs, an hour, for a card that stays declined).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

from engines.clock import EPOCH, VirtualClock
from engines.replay import EventType, RetryPolicy, workflow
from lessons.demos.engine import DemoEngine, money, plural, when
from lessons.demos.plain import cron, place_order
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, ORDER_ID, WORKFLOW_ID
from workloads.order_1001.replay import A
from workloads.services import Services
from workloads.services.world import OVERLOAD_COST_PER_CALL_S


@workflow.defn(name="order")
async def order_with_policy(ctx, order: dict, policy: dict) -> dict:
    """ORDER #1001 with ChargeCard under the given retry policy (no 30-day wait: this scene is
    about retries). A failure that outlives the policy fails the workflow; nothing to undo."""
    await ctx.activity(A.charge_card, order, activity_id="charge", retry=RetryPolicy.from_json(policy))
    await ctx.activity(A.reserve_inventory, order, activity_id="reserve")
    await ctx.activity(A.ship_package, order, activity_id="ship")
    await ctx.activity(A.send_confirmation_email, order, activity_id="email")
    return {"order_id": order["order_id"], "status": "shipped"}


def _play(policy: RetryPolicy, backlog_s: int, card_declined: bool):
    """Run the order once under `policy`: (run, ChargeCard attempts, answers, final failure, history rows)."""
    eng = DemoEngine("06", workflows=[order_with_policy])
    try:
        _inject(eng.services, backlog_s, card_declined)
        eng.client.start(order_with_policy, ORDER, policy.to_json(), id=WORKFLOW_ID)
        eng.worker().run()
        run = eng.workload_run("declined" if card_declined else "sick-payment")
        attempts = [t for t in eng.trace.events if t.kind == EventType.ACTIVITY_TASK_STARTED and t.data.get("activity_type") == "ChargeCard"]
        answers = [c["answer"] for c in eng.calls("ChargeCard")]
        final = next((e for e in eng.history() if e.event_type == EventType.ACTIVITY_TASK_FAILED), None)
        rows = eng.rows()
    finally:
        eng.close()
    return run, attempts, answers, final, rows


def demo(initial_interval_s: int, backoff_coefficient: str, maximum_interval_s: int, maximum_attempts: int,
         backlog_s: int, card_declined: bool) -> DemoResult:
    policy = RetryPolicy(initial_interval=timedelta(seconds=initial_interval_s),
                         backoff_coefficient=float(backoff_coefficient),
                         maximum_interval=timedelta(seconds=maximum_interval_s),
                         maximum_attempts=maximum_attempts, non_retryable_error_types=("CardDeclined",))
    run, attempts, answers, final, rows = _play(policy, backlog_s, card_declined)
    times = [(t.time - attempts[0].time).total_seconds() for t in attempts]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    lines = [(f"Retry policy: initial {initial_interval_s} s, ×{float(backoff_coefficient):g}, max gap "
             f"{maximum_interval_s} s, max {plural(maximum_attempts, 'attempt')}; CardDeclined is non-retryable. "
             "The gaps are exact, as Temporal's server computes them: no jitter.")]
    lines.append("The payment API " + ("declines the card." if card_declined else "is healthy." if not backlog_s else
                                       f"is overloaded: {backlog_s} s of queued work, and every call it refuses adds "
                                       f"{OVERLOAD_COST_PER_CALL_S:g} s more, so it recovers only if callers give it room."))
    for n, (t, answer) in enumerate(zip(attempts, answers), 1):
        gap = f" ({gaps[n - 2]:g} s after attempt {n - 1})" if n > 1 else ""
        lines.append(f"  attempt {n} at {when(t.time)}{gap}: {answer}")
    charged = run.ledger.charged_cents(ORDER_ID)
    if final is None:
        lines.append(f"ChargeCard succeeded at attempt {len(attempts)}; the workflow went on and shipped. "
                     f"Statement {money(charged)}.")
        headline = (f"ChargeCard succeeded at attempt {len(attempts)} after gaps "
                    f"{', '.join(f'{g:g} s' for g in gaps)}; statement {money(charged)}" if gaps else
                    f"ChargeCard succeeded at attempt 1, no retry needed; statement {money(charged)}")
    else:
        state = final.attributes["retry_state"]
        lines.append(f"ChargeCard failed for good at attempt {final.attributes['attempt']} ({state}): the engine "
                     f"handed {final.attributes['failure']['type']} to the workflow code, which failed the order. "
                     f"No money moved ({money(charged)}).")
        headline = ("CardDeclined is non-retryable: failed at attempt 1, no retry, no charge" if card_declined else
                    f"ChargeCard gave up after {plural(len(attempts), 'attempt')} ({state}) against a "
                    f"{backlog_s} s backlog; no charge")
    fixed = _fixed_gap_contrast(policy, backlog_s, card_declined)
    if fixed["line"]:
        lines.append(fixed["line"])
    contrast = _cron_contrast(backlog_s, card_declined)
    lines.append(contrast["line"])
    return DemoResult(scene="06", knobs={}, headline=headline, lines=lines, runs={"replay": run}, history=rows, figures={
        "attempts": len(attempts), "attempt_times_s": times, "gaps_s": gaps, "succeeded": final is None,
        "retry_state": None if final is None else final.attributes["retry_state"], "payment_answers": answers,
        "charges": len(run.ledger.of("charge", ORDER_ID)), "statement_cents": run.ledger.statement_cents(ORDER_ID),
        "fixed_gap_attempts": fixed["attempts"], "fixed_gap_succeeded": fixed["succeeded"],
        "cron_runs": contrast["runs"], "cron_payment_calls": contrast["calls"],
        "cron_minutes_to_success": contrast["minutes"], "cron_charges": contrast["charges"]})


def _fixed_gap_contrast(policy: RetryPolicy, backlog_s: int, declined: bool) -> dict:
    """The same policy with no backoff (coefficient 1.0, every gap the initial interval), against
    the same overloaded API: played for real, not computed."""
    if declined or not backlog_s or policy.backoff_coefficient == 1.0:
        return {"attempts": None, "succeeded": None, "line": ""}
    flat = replace(policy, backoff_coefficient=1.0)
    _, attempts, _, final, _ = _play(flat, backlog_s, declined)
    gap = policy.initial_interval.total_seconds()
    outcome = (f"succeeds at attempt {len(attempts)}" if final is None else
               f"gives up after {plural(len(attempts), 'attempt')}: each refused call added to the backlog as fast as it drained")
    return {"attempts": len(attempts), "succeeded": final is None,
            "line": f"The same policy without backoff (×1.0, a retry every {gap:g} s) against the same API {outcome}."}


def _inject(services: Services, backlog_s: int, declined: bool) -> None:
    if declined:
        services.inject("payment", "reject")
    elif backlog_s:
        services.inject("payment", "overloaded", backlog_s=backlog_s)


def _cron_contrast(sick_for: int, declined: bool) -> dict:
    """The plain order rerun whole by `*/5 * * * *` against the same sick (or declining) service."""
    clock = VirtualClock(EPOCH)
    services = Services(":memory:", clock)
    _inject(services, sick_for, declined)
    runs = cron(lambda _n: place_order(services), clock)
    calls = len([c for c in services.calls("payment") if c["operation"] == "charge"])
    charges = len(services.ledger(ORDER_ID).of("charge"))
    if runs[-1].ok and len(runs) == 1:
        minutes = 0.0
        line = "Contrast, a cron job rerunning the whole order every 5 min: with a healthy API it runs once too."
    elif runs[-1].ok:
        minutes = (runs[-1].at - EPOCH).total_seconds() / 60
        line = (f"Contrast, a cron job rerunning the whole order every 5 min: {plural(len(runs), 'run')}, "
                f"{plural(calls, 'payment call')}, success after {minutes:g} min: the long fixed gap gives the API room, "
                "but every run redoes the whole order and waits minutes where backoff waited seconds.")
    else:
        minutes = None
        line = (f"Contrast, a cron job rerunning the whole order every 5 min: still failing after "
                f"{plural(len(runs), 'run')} ({plural(calls, 'payment call')} in an hour); it cannot tell a "
                "declined card from an outage, so it would keep calling for ever.")
    return {"runs": len(runs), "calls": calls, "minutes": minutes, "charges": charges, "line": line}
