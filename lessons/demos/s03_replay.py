"""Scene 03: a new worker re-runs the order's code from the top against the history.

Off: the order's own code. The worker dies after ChargeCard is recorded; the next worker
replays: ChargeCard's recorded result is handed back (the payment service sees one call) and
ReserveInventory, the first step with no record, runs for real.

On: the code branches on `random.random()` read outside the engine. The demo seeds Python's
random module at each workflow task so the flip is the same on every run of the demo (0.13 the
first time, 0.84 on replay): the replay asks for a different step and the engine stops the run
with a NondeterminismError naming the event. The run stays open; nothing recorded is lost.

The scene teaches replay from the top, so its workers run with the sticky cache off
(`max_cached_workflows=0`): every workflow task replays the whole history. The demo plays the
same story again on a second engine with the cache on (Temporal's sticky execution: the worker
keeps the run's state between tasks) and reports both counts of events replayed.
"""

from __future__ import annotations

import random
from typing import Any

from engines.replay import EventType, TraceKind, Worker, WorkerCrashed
from engines.replay.worker import MAX_CACHED_WORKFLOWS
from lessons.demos.engine import (
    DemoEngine,
    completed_steps,
    event_line,
    money,
    plural,
    scheduled_steps,
)
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, WORKFLOW_ID
from workloads.order_1001.replay import order_coinflip, order_workflow

#: random.seed() per workflow task: task 2 draws 0.13 (→ ReserveInventory), task 3 replays with 0.84.
SEEDS = (1, 1, 0, 0, 0, 0, 0, 0)


def demo(inject_random: bool) -> DemoResult:
    saved = random.getstate()
    try:
        cached = DemoEngine("03")
        try:  # the same story with Temporal's sticky cache on, for its count of events replayed
            with_cache = _play(cached, inject_random, [], max_cached_workflows=MAX_CACHED_WORKFLOWS)
            diverged_with_cache = any(t.kind == TraceKind.NONDETERMINISM_ERROR for t in cached.trace.events)
            sticky = (with_cache.stats.replayed_events, with_cache.stats.workflow_tasks, diverged_with_cache)
        finally:
            cached.close()
        eng = DemoEngine("03")
        try:
            lines = ["The code: " + ("ChargeCard, then `coin = random.random()` (outside the engine): below 0.5 "
                                     "ReserveInventory, else SendConfirmationEmail; then ShipPackage. (The demo seeds Python's random at "
                                     "each workflow task so the flip repeats: 0.13 first, 0.84 on replay.)"
                                     if inject_random else "ORDER #1001's own code, deterministic: it reads nothing "
                                     "but its input and the results the engine hands it.")]
            second = _play(eng, inject_random, lines, max_cached_workflows=0)  # every task replays from the top
            result = _result(eng, second, inject_random, lines, sticky)
        finally:
            eng.close()
        if inject_random:
            result.figures["ctx_random"] = _with_ctx_random(result.lines)
        return result
    finally:
        random.setstate(saved)


def _with_ctx_random(lines: list[str]) -> dict[str, object]:
    """The same coin flip through `ctx.random()`: the same crash, the same reseeding of Python's
    random at every task, and the replay still draws the first run's number, with no event for it."""
    eng = DemoEngine("03")
    seeds = iter(SEEDS)

    def seed(point: str) -> None:
        if point.startswith("workflow-task-started"):
            random.seed(next(seeds, 0))

    try:
        eng.client.start(order_coinflip, ORDER, False, id=WORKFLOW_ID)
        try:
            eng.worker(crash_at="activity-recorded:ChargeCard", on_point=seed, max_cached_workflows=0).run()
        except WorkerCrashed:
            pass
        eng.worker(on_point=seed, max_cached_workflows=0).run()
        events = eng.history()
        diverged = any(t.kind == TraceKind.NONDETERMINISM_ERROR for t in eng.trace.events)
        done = next((e for e in events if e.event_type == EventType.WORKFLOW_EXECUTION_COMPLETED), None)
        coin = done.attributes["result"]["coin"] if done is not None else None
        types = sorted({e.event_type.value for e in events})
        recorded_draws = [t for t in types if t in (EventType.MARKER_RECORDED.value,)]
        steps = scheduled_steps(events)
    finally:
        eng.close()
    lines.append(f"The same flip through ctx.random() (seeded from the run id): worker 2's replay draws the first "
                 f"run's number again and asks for the same steps ({', '.join(steps)}), "
                 + ("and the order completes; " if not diverged else "yet it diverged; ")
                 + f"the history has no event for the draw (its event types: {', '.join(types)}).")
    return {"coin": coin, "diverged": diverged, "event_types": types, "recorded_draws": recorded_draws,
            "steps": steps}


def _play(eng: DemoEngine, inject_random: bool, lines: list[str], max_cached_workflows: int) -> Worker:
    """Worker 1 dies after ChargeCard is recorded; worker 2 finishes the order. Returns worker 2."""
    seeds = iter(SEEDS)

    def seed(point: str) -> None:
        if inject_random and point.startswith("workflow-task-started"):
            random.seed(next(seeds, 0))

    if inject_random:
        eng.client.start(order_coinflip, ORDER, True, id=WORKFLOW_ID)
    else:
        eng.client.start(order_workflow, ORDER, id=WORKFLOW_ID)
    try:
        eng.worker(crash_at="activity-recorded:ChargeCard", on_point=seed, max_cached_workflows=max_cached_workflows).run()
    except WorkerCrashed as exc:
        lines.append(f"Worker 1: {exc}. The history holds ChargeCard's result.")
    second = eng.worker(on_point=seed, max_cached_workflows=max_cached_workflows)
    second.run()
    return second


def _result(eng: DemoEngine, second: Worker, inject_random: bool, lines: list[str],
            sticky: tuple[int, int, bool]) -> DemoResult:
    events = eng.history()
    rows = [e.to_dict() for e in events]
    charge_calls = len(eng.calls("ChargeCard"))
    recorded = next(e for e in events if e.event_type == EventType.ACTIVITY_TASK_COMPLETED
                    and e.attributes["activity_type"] == "ChargeCard").attributes["result"]
    lines.append(f"Worker 2 replays the code from the top. At ChargeCard the history already has event "
                 f"#{_completed_id(events, 'ChargeCard')}: it hands back the recorded result ({recorded['id']}, "
                 f"{money(recorded['amount_cents'])}) without calling the payment service.")
    diverged = [t for t in eng.trace.events if t.kind == TraceKind.NONDETERMINISM_ERROR]
    replayed, tasks = second.stats.replayed_events, second.stats.workflow_tasks
    cached_replayed, cached_tasks, cached_diverged = sticky
    figures: dict[str, object] = {"charge_calls": charge_calls, "charges": len(eng.services.ledger().of("charge")),
                                  "replayed_events": replayed, "replayed_events_cached": cached_replayed,
                                  "statement_cents": eng.statement_cents(), "history_length": len(events)}
    first_live = next(s for s in scheduled_steps(events) if s != "ChargeCard")
    lines.append(f"{first_live} is the first step with no record: it runs for real "
                 f"({'completed' if first_live in completed_steps(events) else 'not completed'}).")
    if diverged:
        err = diverged[0]
        figures.update({"nondeterminism_event": err.data["event_id"], "recorded": err.data["recorded"],
                        "asked": err.data["asked"]})
        failed = next(e for e in events if e.event_type == EventType.WORKFLOW_TASK_FAILED)
        lines.append(f"On the next replay the coin comes up differently: {err.detail}.")
        lines.append(f"The engine appends {event_line(failed.to_dict())} and stops: the run stays open, frozen, "
                     "until fixed code replays it (scene 11's version gate is how).")
        headline = (f"Replay diverged: NondeterminismError at event {err.data['event_id']} "
                    f"(history {err.data['recorded']}, code asked {err.data['asked']}); still one charge")
    else:
        lines.append(f"Every replay asked for the same steps as the history: the order completes; "
                     f"the payment service was called {charge_calls} time{'s' if charge_calls != 1 else ''}.")
        headline = (f"Replay handed ChargeCard's recorded result back: {charge_calls} charge call, "
                    f"statement {money(eng.statement_cents())}; {first_live} ran for real")
    lines.append(f"Worker 2 ran {plural(tasks, 'workflow task')}, each replaying the history from the top: "
                 f"{plural(replayed, 'event')} replayed in all. With Temporal's sticky execution on (the worker keeps "
                 f"the run's state between its tasks; this scene turns it off) it replays once, when it takes the run "
                 f"over: {plural(cached_replayed, 'event')} replayed in {plural(cached_tasks, 'task')}"
                 + (". That worker never re-runs the coin flip, so it does not notice the divergence: the error waits "
                    "for the next replay from the top (a restart, or another worker)." if diverged and not cached_diverged
                    else "."))
    figures["diverged_with_cache"] = cached_diverged
    figures["workflow_status"] = eng.client.describe(WORKFLOW_ID).status
    return DemoResult(scene="03", knobs={}, headline=headline, figures=figures, lines=lines,
                      runs={"replay": eng.workload_run("nondeterministic" if diverged else "crash")}, history=rows)


def _completed_id(events: list, step: str) -> int:
    return next(e.event_id for e in events if e.event_type == EventType.ACTIVITY_TASK_COMPLETED
                and e.attributes["activity_type"] == step)
