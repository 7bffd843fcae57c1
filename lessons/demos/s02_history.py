"""Scene 02: the same crash on the replay engine; the history on disk survives, RAM does not.

The history lives in a real SQLite file in a temporary folder. The crash drops every object of
the engine (server, client, worker, the open connection): the only thing the next worker gets is
the file. The order's state is then computed from the events alone (`fold`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from engines.replay import WorkerCrashed
from lessons.demos.engine import DemoEngine, describe_state, event_line, fold, money
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER, WORKFLOW_ID
from workloads.order_1001.replay import order_workflow

#: PRAGMA synchronous's numbers, named.
_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def demo(crash: bool) -> DemoResult:
    with tempfile.TemporaryDirectory(prefix="workflow-canvas-02-") as tmp:
        path = Path(tmp) / "history.sqlite"
        eng = DemoEngine("02", path)
        figures: dict[str, object] = {"journal_mode": eng.store.conn.execute("PRAGMA journal_mode").fetchone()[0],
                                      "synchronous": _SYNCHRONOUS.get(eng.store.conn.execute("PRAGMA synchronous").fetchone()[0])}
        eng.client.start(order_workflow, ORDER, id=WORKFLOW_ID)
        lines = [f"ORDER #1001 starts on the replay engine; its history is a SQLite file ({path.name}), "
                 f"journal_mode={figures['journal_mode']}, synchronous={figures['synchronous']}: a commit survives a "
                 "killed process; only synchronous=FULL survives a power cut."]
        earlier_trace = []
        if crash:
            try:
                eng.worker(crash_at="activity-recorded:ChargeCard").run()
            except WorkerCrashed as exc:
                lines.append(f"Worker 1 crashes ({exc}): ChargeCard's result had just been appended to the history.")
            earlier_trace = list(eng.trace.events)
            eng.close()
            del eng  # RAM wiped: server, client, worker, replay state and the connection are gone
            figures["file_bytes_after_crash"] = path.stat().st_size
            lines.append(f"RAM wiped: every engine object is dropped. On disk: {path.name}, "
                         f"{figures['file_bytes_after_crash']:,} bytes.")
            eng = DemoEngine("02", path)  # a new process opens the same file
            survived = eng.history()
            figures["events_after_crash"] = len(survived)
            lines.append(f"A new process reads the file: {len(survived)} events survived the crash:")
            lines.extend(f"  {event_line(e.to_dict())}" for e in survived)
            state = fold(survived)
            figures["state_after_crash"] = state
            lines.append(f"State = fold of those events: {describe_state(state)}. Nobody has to guess: the card "
                         "was charged.")
            eng.worker(identity="s02-worker-2").run()
            lines.append("A new worker continues from that history (scene 03 shows how): the order ships on day 30.")
        else:
            eng.worker().run()
            lines.append("No crash: the worker appends every step's result as it goes, and the order ships on day 30.")
        events = eng.history()
        state = fold(events)
        statement = eng.statement_cents()
        run = eng.workload_run("crash" if crash else "happy")
        run.trace[:0] = earlier_trace
        rows = eng.rows()
        eng.close()
    lines.append(f"Final state = fold of all {len(events)} events: {describe_state(state)}.")
    lines.append(f"Statement {money(statement)}: ChargeCard ran once, its result read back from disk.")
    figures["charge_completed_event"] = next(e.event_id for e in events if e.event_type.value == "ActivityTaskCompleted"
                                             and e.attributes.get("activity_type") == "ChargeCard")
    figures.update({"statement_cents": statement, "charges": len(run.ledger.of("charge")), "history_length": len(events),
                    "state": state})
    headline = (f"The worker died after ChargeCard; {figures['events_after_crash']} events survived on disk; "
                f"state rebuilt from them; statement {money(statement)}" if crash
                else f"No crash: {len(events)} events appended to the history on disk; statement {money(statement)}")
    return DemoResult(scene="02", knobs={}, headline=headline, figures=figures, lines=lines,
                      runs={"replay": run}, history=rows)
