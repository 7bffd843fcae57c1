"""Scene 04: the order's parts coloured BLUE (workflow code, replayed) or RED (activity, runs once).

The colours are not asserted, they are read off a real run: the order runs, the worker is
crashed after ReserveInventory and a new one replays. Blue code is whatever issued commands
(ActivityTaskScheduled, TimerStarted, WorkflowExecutionCompleted: events written because the code
asked); a red step is one whose result came back as an event from a worker that ran it
(ActivityTaskCompleted). The worker's own hooks count how often each ran.
"""

from __future__ import annotations

from collections import Counter

from engines.replay import WorkerCrashed
from lessons.demos.engine import DemoEngine, is_command, of_type, plural
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, STEPS, WORKFLOW_ID
from workloads.order_1001.replay import order_workflow

CODE = "workflow code"


def demo(classify_step: str) -> DemoResult:
    ran: Counter[str] = Counter()

    def count(point: str) -> None:  # "workflow-task-started:order", "activity-started:ChargeCard", …
        kind, _, name = point.partition(":")
        if kind == "workflow-task-started":
            ran[CODE] += 1
        elif kind == "activity-started":
            ran[name] += 1

    eng = DemoEngine("04")
    try:
        eng.client.start(order_workflow, ORDER, id=WORKFLOW_ID)
        try:
            eng.worker(crash_at="activity-recorded:ReserveInventory", on_point=count).run()
        except WorkerCrashed:
            pass
        eng.worker(on_point=count).run()
        events = eng.history()
        parts = {CODE: _classify_code(events, ran[CODE])}
        for step in STEPS:
            parts[step] = _classify_step(eng, events, step, ran[step])
        run = eng.workload_run("crash")
        replayed = run.replay.replayed_events
    finally:
        eng.close()
    lines = [("The order ran, its worker was killed after ReserveInventory, and a new worker replayed it; "
             f"{replayed} recorded events were handed back to the code on replay.")]
    chosen = list(parts) if classify_step == "none" else [classify_step]
    lines.extend(parts[name]["why"] for name in chosen)
    if classify_step == "none":
        lines.append("However often the blue code was replayed, each red step ran once: replay never re-runs an activity.")
        figures: dict[str, object] = {"colours": {n: p["colour"] for n, p in parts.items()},
                                      "code_runs": parts[CODE]["runs"],
                                      "step_runs": {s: parts[s]["runs"] for s in STEPS},
                                      "service_calls": {s: parts[s]["service_calls"] for s in STEPS},
                                      "replayed_events": replayed}
        headline = (f"Workflow code is BLUE (ran {parts[CODE]['runs']} times, replayed); "
                    f"{', '.join(STEPS)} are RED (each ran once)")
    else:
        p = parts[classify_step]
        figures = {k: v for k, v in p.items() if k != "why"} | {"replayed_events": replayed}
        headline = f"{classify_step} is {p['colour'].upper()}: " + (
            f"ran {p['runs']} times, once per workflow task, and issued {p['commands']} commands"
            if classify_step == CODE else f"1 command, 1 result event, ran {plural(p['runs'], 'time')} against the service")
    return DemoResult(scene="04", knobs={}, headline=headline, figures=figures, lines=lines,
                      runs={"replay": run}, history=[e.to_dict() for e in events])


def _classify_code(events: list, runs: int) -> dict:
    commands = [e for e in events if is_command(e)]
    kinds = ", ".join(sorted({e.event_type for e in commands}))
    return {"colour": "blue", "runs": runs, "commands": len(commands), "result_events": 0,
            "why": f"BLUE workflow code: it ran {runs} times (every workflow task replays it from the top) and "
                   f"touched no service; all it did was issue {len(commands)} commands ({kinds})."}


def _classify_step(eng: DemoEngine, events: list, step: str, runs: int) -> dict:
    commands = of_type(events, "ActivityTaskScheduled", step)
    results = of_type(events, "ActivityTaskCompleted", step)
    calls = len(eng.calls(step))
    colour = "red" if results else "blue"
    ids = ", ".join(f"#{e.event_id}" for e in commands + results)
    return {"colour": colour, "runs": runs, "commands": len(commands), "result_events": len(results),
            "service_calls": calls,
            "why": f"RED {step}: the code's command became ActivityTaskScheduled, a worker ran it and the engine wrote "
                   f"its result as ActivityTaskCompleted ({ids}); it ran {plural(runs, 'time')}, "
                   f"the service saw {plural(calls, 'call')}."}
