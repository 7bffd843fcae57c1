"""Scene 11: v2 of the order ships while #1001, started under v1, waits on its 30-day timer.

v1 runs ChargeCard → ReserveInventory → wait → ShipPackage → email. v2 inserts FraudCheck after
ChargeCard. On day 10 the v1 worker is stopped and a v2 worker takes over; #1002 starts under
v2. Gate off: when #1001's timer fires on day 30, v2's code replays #1001's v1 history, asks for
FraudCheck where the history recorded ReserveInventory, and the engine stops the run with a
NondeterminismError. Gate on (`ctx.patched("fraud-check")`): #1001's history has no version
marker, so it takes the v1 path; #1002 records the marker and runs FraudCheck.
"""

from __future__ import annotations

from engines.replay import EventType, TraceKind
from lessons.demos.engine import (
    DemoEngine,
    event_line,
    money,
    plural,
    scheduled_steps,
    when,
)
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, WORKFLOW_ID, order
from workloads.order_1001.replay import (
    order_workflow,
    order_workflow_v2,
    order_workflow_v2_ungated,
)

DEPLOY_DAY = 10
NEW_ID, NEW_ORDER = "order-1002", "1002"


def demo(version_gate: bool) -> DemoResult:
    v2 = order_workflow_v2 if version_gate else order_workflow_v2_ungated
    eng = DemoEngine("11", workflows=[order_workflow])
    try:
        eng.client.start(order_workflow, ORDER, id=WORKFLOW_ID)
        old = eng.worker()
        old.run(until=eng.day(DEPLOY_DAY))
        old.stop()
        eng.client.start(v2, order(NEW_ORDER), id=NEW_ID)
        eng.worker(workflows=[v2]).run()
        old_events, new_events = eng.history(WORKFLOW_ID), eng.history(NEW_ID)
        d1, d2 = eng.client.describe(WORKFLOW_ID), eng.client.describe(NEW_ID)
        diverged = [t for t in eng.trace.events if t.kind == TraceKind.NONDETERMINISM_ERROR]
        charges = {o: len(eng.services.ledger(o).of("charge")) for o in ("1001", NEW_ORDER)}
        charged = {o: eng.services.ledger(o).charged_cents(o) for o in ("1001", NEW_ORDER)}
        runs = {"order-1001": eng.workload_run("deploy-v2"),
                "order-1002": eng.workload_run("deploy-v2", workflow_id=NEW_ID, order_id=NEW_ORDER)}
    finally:
        eng.close()
    steps1, steps2 = scheduled_steps(old_events), scheduled_steps(new_events)
    marker = any(e.event_type == EventType.MARKER_RECORDED for e in new_events)
    lines = ["Day 0: #1001 starts under v1: ChargeCard, ReserveInventory, then its 30-day timer.",
             (f"Day {DEPLOY_DAY}: v2 is deployed ({'with' if version_gate else 'without'} a version gate): the v1 worker "
             f"stops, a v2 worker takes over, and #1002 starts under v2.")]
    figures: dict[str, object] = {"order_1001_status": d1.status, "order_1002_status": d2.status,
                                  "order_1001_steps": steps1, "order_1002_steps": steps2,
                                  "order_1002_version_marker": marker, "charges": charges}
    if diverged:
        err = diverged[0]
        failed = next(e for e in old_events if e.event_type == EventType.WORKFLOW_TASK_FAILED)
        lines.append(f"{when(failed.ts)}: #1001's timer fires; the v2 worker replays its v1 history: {err.detail}.")
        lines.append(f"The engine appends {event_line(failed.to_dict())}; #1001 stays open and stuck "
                     "until code that can replay it is deployed.")
        figures.update({"nondeterminism_event": err.data["event_id"], "recorded": err.data["recorded"],
                        "asked": err.data["asked"]})
        headline = (f"Gate off: #1001 hit a NondeterminismError at event {err.data['event_id']} "
                    f"({err.data['recorded']} recorded, {err.data['asked']} asked); #1002 ran v2 with FraudCheck")
    else:
        lines.append(f"Day 30: #1001's timer fires; the v2 code replays it, `patched(\"fraud-check\")` finds no marker "
                     f"in its history and takes the v1 path: {' → '.join(steps1)}.")
        headline = f"Gate on: #1001 finished on the v1 path ({d1.status}), #1002 took v2 with FraudCheck ({d2.status})"
    lines.append(f"#1002 under v2: {' → '.join(steps2)}"
                 f"{' (the version marker recorded before FraudCheck)' if marker else ''}; {d2.status.lower()}.")
    lines.append(f"Ledger: #1001 charged {plural(charges['1001'], 'time')} ({money(charged['1001'])}), "
                 f"#1002 charged {plural(charges[NEW_ORDER], 'time')} ({money(charged[NEW_ORDER])}).")
    return DemoResult(scene="11", knobs={}, headline=headline, figures=figures, lines=lines, runs=runs,
                      history=[e.to_dict() for e in old_events])
