"""Scene 07: wait 7 days after shipping, then send the "rate your Widget" email, through crashes.

thread_sleep: plain code on the virtual clock. A worker runs the job "sleep 7 days, then email";
the sleep holds the worker for as long as it lasts, and the countdown lives only in that frame.
Each crash (one a day, from day 1) raises inside the sleep and unwinds it: the countdown is lost.
A supervisor restarts the worker, and all the restarted job can do is sleep 7 days again.

durable_timer: the replay engine. The code's sleep becomes TimerStarted; the engine owns the due
time; no task is in any queue and no worker is held while the run is dormant. Workers crash on
the same days and the timer still fires at exactly day 7. All figures are read back from the
services' ledger, the engine's history and its queues.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engines.clock import EPOCH, VirtualClock, day_of
from engines.replay import EventType, activity, workflow
from lessons.demos.engine import DemoEngine, plural, when, worker_seconds_held
from lessons.demos.plain import ProcessCrashed, place_order
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, ORDER_ID, WORKFLOW_ID
from workloads.order_1001.replay import A
from workloads.services import Services

WAIT = timedelta(days=7)
SUBJECT = "rate your Widget"
DAY = 86400.0


class RatingEmail:
    """The red step after the wait: an email through the same email service."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @activity.defn(name="SendRatingEmail")
    def send(self, order: dict) -> dict:
        i = activity.info()
        return self.services.send_email(order["order_id"], order["email"], SUBJECT, i.idempotency_key, at=i.current_time)


@workflow.defn(name="order")
async def order_then_rating_email(ctx, order: dict) -> dict:
    """ORDER #1001's four steps, then a durable 7-day timer, then the rating email."""
    for step, aid in ((A.charge_card, "charge"), (A.reserve_inventory, "reserve"), (A.ship_package, "ship"),
                      (A.send_confirmation_email, "email")):
        await ctx.activity(step, order, activity_id=aid)
    await ctx.sleep(WAIT)  # TimerStarted now; the code resumes on TimerFired
    await ctx.activity("SendRatingEmail", order, activity_id="rate-email")
    return {"order_id": order["order_id"], "status": "rated"}


def demo(crashes_during_wait: int, wait_with: str) -> DemoResult:
    thread = _thread_sleep(crashes_during_wait)
    timer = _durable_timer(crashes_during_wait)
    chosen, other = (thread, timer) if wait_with == "thread_sleep" else (timer, thread)
    lines = list(chosen["lines"]) + [(f"Contrast, {other['name']} with the same crashes: email on day "
                                     f"{other['email_day']:g}, a worker held {other['held_s'] / DAY:g} days.")]
    return DemoResult(scene="07", knobs={}, headline=chosen["headline"], lines=lines, runs=chosen.get("runs", {}),
                      history=chosen.get("history", []), figures=chosen["figures"])


def _thread_sleep(crashes: int) -> dict[str, Any]:
    clock = VirtualClock(EPOCH)
    services = Services(":memory:", clock)
    place_order(services)

    def kill(_at) -> None:
        raise ProcessCrashed("in the middle of sleep(7 days)", {})

    for d in range(1, crashes + 1):
        clock.call_at(EPOCH + timedelta(days=d), kill, name=f"crash on day {d}")
    lines = [("Day 0: the order is charged, reserved, shipped and confirmed. A worker thread runs "
             "`sleep(7 days)`, then the rating email; the countdown lives in that thread.")]
    held = 0.0
    lives = 0
    while True:
        started = clock.now()
        lives += 1
        try:
            clock.sleep(WAIT.total_seconds())  # the thread blocks here, holding its worker
            services.send_email(ORDER_ID, ORDER["email"], SUBJECT)
        except ProcessCrashed as exc:
            held += (clock.now() - started).total_seconds()
            lines.append(f"{when(clock.now())}: the worker dies {exc.where}; its countdown (due {when(started + WAIT)}) "
                         "dies with it. The restarted worker only knows \"wait 7 days, then email\": it starts over.")
            continue
        held += (clock.now() - started).total_seconds()
        break
    sent = next(e for e in services.ledger(ORDER_ID).of("email") if SUBJECT in e.detail)
    email_day = day_of(sent.at)
    lines.append(f"{when(sent.at)}: the rating email goes out" + (" on time." if email_day == 7 else
                 f", {email_day - 7:g} days late; no email on day 7."))
    lines.append(f"A worker was held asleep for {held / DAY:g} days ({held:,.0f} worker-seconds) to wait 7.")
    headline = (f"thread sleep, {plural(crashes, 'crash', 'crashes')}: " + ("email on day 7, but a worker held all 7 days"
                if crashes == 0 else f"the countdown was lost {plural(crashes, 'time')}; email on day {email_day:g}, "
                f"a worker held {held / DAY:g} days"))
    return {"name": "thread sleep", "email_day": email_day, "held_s": held, "lines": lines, "headline": headline,
            "figures": {"wait_with": "thread_sleep", "crashes": crashes, "email_day": email_day,
                        "fired_on_time": email_day == 7, "countdowns_lost": crashes, "worker_seconds_held": held,
                        "worker_lives": lives}}


def _durable_timer(crashes: int) -> dict[str, Any]:
    eng = DemoEngine("07", workflows=[order_then_rating_email])
    eng.activities.append(RatingEmail(eng.services).send)
    try:
        eng.client.start(order_then_rating_email, ORDER, id=WORKFLOW_ID)
        lines = [("Day 0: the order is charged, reserved, shipped and confirmed; the code's sleep(7 days) becomes "
                 "TimerStarted and the run goes dormant.")]
        queued: list[int] = []
        for d in range(1, crashes + 1):
            w = eng.worker()
            w.run(until=eng.day(d))
            queued.append(sum(eng.server.queue_depth().values()))
            w.crash(f"worker {w.identity} died on day {d}")
            due = eng.server.next_due()
            lines.append(f"{when(eng.day(d))}: {w.identity} crashes. Tasks in the queue: {queued[-1]}; the engine's "
                         f"next due time: {'none' if due is None else when(due)} (the timer, in the store).")
        eng.worker().run()
        events = eng.history()
        started = next(e for e in events if e.event_type == EventType.TIMER_STARTED)
        fired = next(e for e in events if e.event_type == EventType.TIMER_FIRED)
        during = [e for e in events if started.ts < e.ts < fired.ts]
        sent = next(e for e in eng.services.ledger(ORDER_ID).of("email") if SUBJECT in e.detail)
        held = 0.0 + worker_seconds_held([e for e in events if started.event_id <= e.event_id <= fired.event_id])
        run = eng.workload_run("crash" if crashes else "happy")
    finally:
        eng.close()
    email_day = day_of(sent.at)
    lines.append(f"History: #{started.event_id} TimerStarted on {when(started.ts)} (fire at "
                 f"{when(datetime.fromisoformat(started.attributes['fire_at']))}), #{fired.event_id} TimerFired on {when(fired.ts)}; "
                 f"{plural(len(during), 'event')} in between.")
    lines.append(f"{when(sent.at)}: a new worker pulls the task, replays (the sleep returns at once) and sends the "
                 f"rating email. Worker time held during the wait: {held:g} s.")
    headline = (f"durable timer, {plural(crashes, 'crash', 'crashes')}: TimerFired on day {day_of(fired.time):g}, email on day "
                f"{email_day:g}, no worker held during the wait")
    return {"name": "a durable timer", "email_day": email_day, "held_s": held, "lines": lines, "headline": headline,
            "runs": {"replay": run}, "history": [e.to_dict() for e in events],
            "figures": {"wait_with": "durable_timer", "crashes": crashes, "email_day": email_day,
                        "timer_started_day": day_of(started.time), "timer_fired_day": day_of(fired.time),
                        "fired_on_time": day_of(fired.time) == 7, "events_during_wait": len(during),
                        "tasks_queued_during_wait": max(queued, default=0), "worker_seconds_held": held,
                        "workers_used": crashes + 1}}
