"""Scene 09: a step fails for good; the saga undoes the finished steps in reverse.

The order's code registers an undo after each step that succeeds (RefundCard after ChargeCard,
ReleaseInventory after ReserveInventory). The shipping or inventory service refuses for good
(AddressRejected, OutOfStock: non-retryable), the activity fails, and the code runs the undos
newest first, each one an activity with its own retries. Read back from history and ledger.
"""

from __future__ import annotations

from datetime import datetime

from engines.replay import HistoryEvent
from lessons.demos.engine import event_line, money, of_type
from lessons.demos.result import DemoResult
from workloads.order_1001 import replay
from workloads.order_1001.order import ORDER_ID

SCENARIOS = {"none": "happy", "ShipPackage": "ship-fails", "ReserveInventory": "reserve-fails"}
UNDO = ("ReleaseInventory", "RefundCard")


def demo(failure_point: str) -> DemoResult:
    run = replay.run(SCENARIOS[failure_point])
    events = [HistoryEvent(r["id"], datetime.fromisoformat(r["time"]).timestamp(), r["type"], r["attributes"])
              for r in run.replay.history]
    failed = of_type(events, "ActivityTaskFailed")
    done = [e.attributes["activity_type"] for e in of_type(events, "ActivityTaskCompleted")]
    undone = [s for s in done if s in UNDO]
    o = run.outcome
    lines = []
    if failed:
        f = failed[0].attributes
        lines.append(f"{f['activity_type']} failed for good at attempt {f['attempt']}: {f['failure']['type']} "
                     f"({f['retry_state']}). Finished before it: {', '.join(s for s in done[:done.index(undone[0])])}.")
        lines.append("The code compensates newest first; the history keeps every step and every undo:")
        lines.extend(f"  {event_line(r)}" for r in run.replay.history
                     if r["type"] in ("ActivityTaskCompleted", "ActivityTaskFailed", "WorkflowExecutionFailed"))
        headline = (f"{failure_point} failed: compensated {' → '.join(undone)}; charged {money(o.charged_cents)}, "
                    f"refunded {money(o.refunded_cents)}, nothing shipped")
    else:
        lines.append("No failure: all four steps completed and the saga's undos were never needed.")
        headline = f"No failure: ORDER #1001 shipped, nothing compensated, statement {money(run.ledger.statement_cents(ORDER_ID))}"
    lines.append("Ledger:")
    lines.extend(f"  {ln}" for ln in run.ledger.statement_lines())
    lines.append(f"Card statement: charged {money(o.charged_cents)}, refunded {money(o.refunded_cents)} → net "
                 f"{money(run.ledger.statement_cents(ORDER_ID))}.")
    return DemoResult(scene="09", knobs={}, headline=headline, runs={"replay": run}, history=run.replay.history,
                      lines=lines, figures={
                          "failed_step": failed[0].attributes["activity_type"] if failed else None,
                          "compensations": undone, "charged_cents": o.charged_cents, "refunded_cents": o.refunded_cents,
                          "statement_cents": run.ledger.statement_cents(ORDER_ID), "reserved": o.reserved,
                          "released": o.released, "shipped": o.shipped, "workflow_status": run.replay.workflow_status})
