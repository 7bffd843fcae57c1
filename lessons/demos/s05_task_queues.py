"""Scene 05: a redeploy while ORDER #1001 waits on its timer; workers pull, so nothing is lost.

The order runs on one worker until day 29 (charged, reserved, its 30-day timer set). Then the
deploy stops it. From day 29 to day 32 `live_workers` workers poll the queue (round robin: the
first to ask gets the task). On day 30 the engine fires the timer and a workflow task goes on
the queue. With no worker it just waits there; on day 32 a new worker comes back, pulls it,
replays the history and runs ShipPackage. Everything is read back from the history and ledger.
"""

from __future__ import annotations

from datetime import datetime

from engines.replay import EventType, Worker
from lessons.demos.engine import DemoEngine, money, plural, when
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, ORDER_ID, WORKFLOW_ID
from workloads.order_1001.replay import order_workflow

DEPLOY_STARTS, SAMPLE_DAY, DEPLOY_ENDS = 29, 31, 32


def demo(live_workers: int) -> DemoResult:
    eng = DemoEngine("05")
    try:
        eng.client.start(order_workflow, ORDER, id=WORKFLOW_ID)
        old = eng.worker(identity="s05-worker-old")
        old.run(until=eng.day(DEPLOY_STARTS))
        old.stop()
        lines = [(f"Day 0-{DEPLOY_STARTS}: worker s05-worker-old charged the card, reserved the Widget and left the "
                 f"order on its 30-day timer. Day {DEPLOY_STARTS}: the deploy stops it.")]
        pool = [eng.worker(identity=f"s05-worker-{i + 1}") for i in range(live_workers)]
        for w in pool:
            w.start()
        lines.append(f"During the redeploy (day {DEPLOY_STARTS}-{DEPLOY_ENDS}) {plural(live_workers, 'worker')} "
                     f"poll{'s' if live_workers == 1 else ''} the queue (live workers: {eng.client.live_workers()}).")
        _run_pool(eng, pool, until=eng.day(SAMPLE_DAY))
        waiting = sum(eng.server.queue_depth().values())
        waiting_kinds = _waiting_kinds(eng.history())
        shipped_by_sample = len(eng.services.ledger(ORDER_ID).of("shipment"))
        lines.append(f"Day {SAMPLE_DAY}: {plural(waiting, 'task')} waiting in the queue"
                     + (f" ({', '.join(waiting_kinds)}: the code must replay to decide that ShipPackage is next)"
                        if waiting_kinds else "") + ", "
                     f"{shipped_by_sample} shipped, history {eng.client.describe(WORKFLOW_ID).history_length} events.")
        _run_pool(eng, pool, until=eng.day(DEPLOY_ENDS))
        back = eng.worker(identity="s05-worker-new")
        poll_ms = back.poll_interval * 1000
        back.run()
        first_pulled = _who_pulled(eng.history(), from_ts=eng.day(DEPLOY_STARTS).timestamp())
        events = eng.history()
        lines.extend(_who_pulled(events, from_ts=eng.day(DEPLOY_STARTS).timestamp()))
        replayed = sum(w.stats.replayed_events for w in pool + [back])
        ship = eng.services.ledger(ORDER_ID).of("shipment")[0]
        waited = _queue_wait_seconds(events)
        run = eng.workload_run("no-worker" if live_workers == 0 else "happy")
    finally:
        eng.close()
    lines.append(f"The task that woke the order waited {waited / 3600:g} h in the queue. Each workflow task after "
                 f"the deploy replayed the history from the top ({replayed} recorded events in all); ShipPackage "
                 f"ran on {when(ship.at)}.")
    lines.append(f"Between polls an idle worker of this engine sleeps {poll_ms:g} ms and asks again (a real Temporal "
                 "worker holds one long-poll request open instead); the virtual clock skips the idle days.")
    lines.append(f"Nothing lost, nothing doubled: {plural(run.outcome.shipped, 'shipment')}, statement "
                 f"{money(run.ledger.statement_cents(ORDER_ID))}.")
    headline = (f"0 live workers: the order paused with {plural(waiting, 'task')} waiting, then a returning worker "
                f"replayed and shipped on {when(ship.at)}" if live_workers == 0 else
                f"{plural(live_workers, 'live worker')}: the order never paused; ShipPackage ran on {when(ship.at)}")
    return DemoResult(scene="05", knobs={}, headline=headline, lines=lines, runs={"replay": run},
                      history=[e.to_dict() for e in events], figures={
                          "live_workers": live_workers, "tasks_waiting": waiting, "queue_wait_hours": waited / 3600,
                          "replayed_events": replayed, "ship_day": (ship.at - eng.day(0)).total_seconds() / 86400,
                          "shipped": run.outcome.shipped, "statement_cents": run.ledger.statement_cents(ORDER_ID),
                          "waiting_kinds": waiting_kinds, "poll_interval_ms": poll_ms,
                          "first_pulled_after_deploy": first_pulled[0].split(" pulled ", 1)[1] if first_pulled else None})


def _waiting_kinds(events: list) -> list[str]:
    """What waits in the queue: each scheduled task with no start yet, named as the history names it."""
    started = {e.attributes.get("scheduled_event_id") for e in events
               if e.event_type in (EventType.WORKFLOW_TASK_STARTED, EventType.ACTIVITY_TASK_STARTED)}
    kinds = []
    for e in events:
        if e.event_id in started:
            continue
        if e.event_type == EventType.WORKFLOW_TASK_SCHEDULED:
            kinds.append("a workflow task")
        elif e.event_type == EventType.ACTIVITY_TASK_SCHEDULED:
            kinds.append(f"activity task {e.attributes.get('activity_type')}")
    return kinds


def _run_pool(eng: DemoEngine, pool: list[Worker], until: datetime) -> None:
    """Each live worker polls in turn; when nobody has work, virtual time jumps to the next due
    timer. The engine fires due timers itself (Temporal's server owns them), workers or not."""
    while True:
        eng.server.sync_time()
        if any(w.step() for w in pool):
            continue
        due = eng.server.next_due()
        if due is None or due > until or due <= eng.server.now():  # idle, or work waits with no one to pull it
            eng.server.advance_to(until)
            eng.server.fire_due_timers()
            return
        eng.server.advance_to(due)
        eng.server.fire_due_timers()


def _who_pulled(events: list, from_ts: float) -> list[str]:
    pulled = [e for e in events if e.ts >= from_ts and e.event_type in ("WorkflowTaskStarted", "ActivityTaskStarted")]
    names = {e.event_id: e.attributes.get("activity_type") for e in events if e.event_type == EventType.ACTIVITY_TASK_SCHEDULED}
    out = []
    for e in pulled:
        what = "the workflow task (replay)" if e.event_type == EventType.WORKFLOW_TASK_STARTED else names.get(
            e.attributes.get("scheduled_event_id"), "an activity")
        out.append(f"  {when(e.ts)}: {e.attributes.get('identity')} pulled {what}")
    return out


def _queue_wait_seconds(events: list) -> float:
    """How long the workflow task scheduled by TimerFired sat in the queue before a worker pulled it."""
    fired = next(e for e in events if e.event_type == EventType.TIMER_FIRED)
    scheduled = next(e for e in events if e.event_id > fired.event_id and e.event_type == EventType.WORKFLOW_TASK_SCHEDULED)
    started = next(e for e in events if e.event_type == EventType.WORKFLOW_TASK_STARTED
                   and e.attributes.get("scheduled_event_id") == scheduled.event_id)
    return started.ts - scheduled.ts
