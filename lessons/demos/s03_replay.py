"""Scene 03: a new worker re-runs the order's code from the top against the history.

Off: the order's own code. The worker dies after ChargeCard is recorded; the next worker
replays: ChargeCard's recorded result is handed back (the payment service sees one call) and
ReserveInventory, the first step with no record, runs for real.

On: the code branches on `random.random()` read outside the engine. The demo seeds Python's
random module at each workflow task so the flip is the same on every run of the demo (0.13 the
first time, 0.84 on replay): the replay asks for a different step and the engine stops the run
with a NondeterminismError naming the event. The run stays open; nothing recorded is lost.
"""

from __future__ import annotations

import random
from typing import Any

from engines.replay import EventType, TraceKind, WorkerCrashed
from lessons.demos.engine import (
    DemoEngine,
    completed_steps,
    event_line,
    money,
    scheduled_steps,
)
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, WORKFLOW_ID
from workloads.order_1001.replay import order_coinflip, order_workflow

#: random.seed() per workflow task: task 2 draws 0.13 (→ ReserveInventory), task 3 replays with 0.84.
SEEDS = (1, 1, 0, 0, 0, 0, 0, 0)


def demo(inject_random: bool) -> DemoResult:
    saved = random.getstate()
    seeds = iter(SEEDS)

    def seed(point: str) -> None:
        if inject_random and point.startswith("workflow-task-started"):
            random.seed(next(seeds, 0))

    eng = DemoEngine("03")
    try:
        if inject_random:
            eng.client.start(order_coinflip, ORDER, True, id=WORKFLOW_ID)
        else:
            eng.client.start(order_workflow, ORDER, id=WORKFLOW_ID)
        lines = ["The code: " + ("ChargeCard, then `coin = random.random()` (outside the engine): below 0.5 "
                                 "ReserveInventory, else SendConfirmationEmail; then ShipPackage. (The demo seeds Python's random at "
                                 "each workflow task so the flip repeats: 0.13 first, 0.84 on replay.)"
                                 if inject_random else "ORDER #1001's own code, deterministic: it reads nothing "
                                 "but its input and the results the engine hands it.")]
        try:
            eng.worker(crash_at="activity-recorded:ChargeCard", on_point=seed).run()
        except WorkerCrashed as exc:
            lines.append(f"Worker 1: {exc}. The history holds ChargeCard's result.")
        second = eng.worker(on_point=seed)
        second.run()
        return _result(eng, second, inject_random, lines)
    finally:
        eng.close()
        random.setstate(saved)


def _result(eng: DemoEngine, second: Any, inject_random: bool, lines: list[str]) -> DemoResult:
    events = eng.history()
    rows = [e.to_dict() for e in events]
    charge_calls = len(eng.calls("ChargeCard"))
    recorded = next(e for e in events if e.event_type == EventType.ACTIVITY_TASK_COMPLETED
                    and e.attributes["activity_type"] == "ChargeCard").attributes["result"]
    lines.append(f"Worker 2 replays the code from the top. At ChargeCard the history already has event "
                 f"#{_completed_id(events, 'ChargeCard')}: it hands back the recorded result ({recorded['id']}, "
                 f"{money(recorded['amount_cents'])}) without calling the payment service.")
    diverged = [t for t in eng.trace.events if t.kind == TraceKind.NONDETERMINISM_ERROR]
    figures: dict[str, object] = {"charge_calls": charge_calls, "charges": len(eng.services.ledger().of("charge")),
                                  "replayed_events": second.stats.replayed_events,
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
    figures["workflow_status"] = eng.client.describe(WORKFLOW_ID).status
    return DemoResult(scene="03", knobs={}, headline=headline, figures=figures, lines=lines,
                      runs={"replay": eng.workload_run("nondeterministic" if diverged else "crash")}, history=rows)


def _completed_id(events: list, step: str) -> int:
    return next(e.event_id for e in events if e.event_type == EventType.ACTIVITY_TASK_COMPLETED
                and e.attributes["activity_type"] == step)
