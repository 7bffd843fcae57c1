"""Scene 08: ORDER #1001 waiting for its 30-day cancel window is still addressable.

On day 3 the demo sends the chosen message. `cancelOrder` is a signal: the engine appends
WorkflowExecutionSignaled and wakes the run, whose code takes the diverted path (the saga's
ReleaseInventory, then RefundCard). `getOrderStatus` is a query: the client replays the history
and asks the code's handler; the history has exactly as many events after as before.
"""

from __future__ import annotations

from lessons.demos.engine import (
    DemoEngine,
    event_line,
    money,
    of_type,
    plural,
    scheduled_steps,
    when,
)
from lessons.demos.result import DemoResult
from workloads.order_1001.order import (
    CANCEL_SIGNAL,
    ORDER,
    ORDER_ID,
    STATUS_QUERY,
    WORKFLOW_ID,
)
from workloads.order_1001.replay import order_workflow

ACTION_DAY = 3


def demo(action: str) -> DemoResult:
    eng = DemoEngine("08")
    try:
        eng.client.start(order_workflow, ORDER, id=WORKFLOW_ID)
        worker = eng.worker()
        worker.run(until=eng.day(ACTION_DAY))
        before = eng.client.describe(WORKFLOW_ID).history_length
        lines = [(f"Days 0-{ACTION_DAY}: ORDER #1001 is charged and reserved, then dormant on its 30-day cancel window "
                 f"({before} events).")]
        figures: dict[str, object] = {"history_before": before}
        if action == "cancelOrder":
            event_id = eng.client.signal(WORKFLOW_ID, CANCEL_SIGNAL)
            lines.append(f"{when(eng.day(ACTION_DAY))}: signal {CANCEL_SIGNAL} sent; the engine appended event "
                         f"#{event_id} WorkflowExecutionSignaled and put a workflow task on the queue.")
            figures["signal_event"] = event_id
        elif action == "getOrderStatus":
            worker.stop()  # every worker down: this engine's client still answers, by replaying the history itself
            live = eng.client.live_workers()
            figures["live_workers_at_query"] = live
            answer = eng.client.query(WORKFLOW_ID, STATUS_QUERY)
            lines.append(f"{when(eng.day(ACTION_DAY))}: query {STATUS_QUERY} answered from the replayed state with "
                         f"{plural(live, 'live worker')}: {answer}. (This engine's client "
                         "replays the history itself; Temporal hands a query to a worker, so there it needs one.)")
            figures["answer"] = answer
            worker = eng.worker()
        after = eng.client.describe(WORKFLOW_ID).history_length
        figures["history_after"] = after
        if action == "getOrderStatus":
            lines.append(f"History before the query: {before} events; after: {after}. A query reads, it never appends.")
        worker.run()
        events = eng.history()
        run = eng.workload_run({"none": "happy", "cancelOrder": "cancel", "getOrderStatus": "query"}[action])
    finally:
        eng.close()
    signal = of_type(events, "WorkflowExecutionSignaled")
    after_signal = [e for e in events if signal and e.event_id > signal[0].event_id]
    undo = [s for s in scheduled_steps(after_signal) if s in ("ReleaseInventory", "RefundCard")]
    o = run.outcome
    if action == "cancelOrder":
        lines.append("The run woke and its code saw the signal: " + " → ".join(undo) + ", newest step undone first:")
        lines.extend(f"  {event_line(e.to_dict())}" for e in after_signal
                     if e.event_type in ("ActivityTaskScheduled", "ActivityTaskCompleted", "WorkflowExecutionCompleted"))
        headline = (f"cancelOrder landed in the history as event #{signal[0].event_id}; the order ran "
                    f"{' → '.join(undo)}: refunded {money(o.refunded_cents)}, nothing shipped")
    elif action == "getOrderStatus":
        headline = (f"getOrderStatus answered {answer['step']!r}; history {before} events before, "
                    f"{after} after; the order then shipped")
    else:
        headline = "No message: the cancel window ran out and ORDER #1001 shipped on day 30"
    if action != "cancelOrder":
        ship = run.ledger.of("shipment", ORDER_ID)[0]
        lines.append(f"{when(ship.at)}: the window ran out with no cancel; ShipPackage and SendConfirmationEmail ran.")
    lines.append(f"Ledger: charged {money(o.charged_cents)}, refunded {money(o.refunded_cents)}, reserved {o.reserved}, "
                 f"released {o.released}, shipped {o.shipped}.")
    figures.update({"history_length": len(events), "compensations": undo, "charged_cents": o.charged_cents,
                    "refunded_cents": o.refunded_cents, "statement_cents": run.ledger.statement_cents(ORDER_ID),
                    "released": o.released, "shipped": o.shipped})
    return DemoResult(scene="08", knobs={}, headline=headline, figures=figures, lines=lines, runs={"replay": run},
                      history=[e.to_dict() for e in events])
