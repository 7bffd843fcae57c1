"""Scene 6.5: a crash in the window between the charge and its record, with and without a key.

The worker really calls the payment service, and dies before the engine records the result
(`crash_after_effect`). The engine sees no answer; when the activity's lease runs out it retries.
With the idempotency key `order-1001-charge` the payment service's dedup store answers the
retry with the first result; without it the service charges again. Read from the ledger.
"""

from __future__ import annotations

from engines.replay import EventType, TraceKind
from lessons.demos.engine import money, money_lines, when
from lessons.demos.result import DemoResult
from workloads.order_1001 import replay
from workloads.order_1001.observations import OrderObservations
from workloads.order_1001.order import ORDER_ID

KEY = "order-1001-charge"


def demo(idempotency_key: bool, crash_in_window: bool) -> DemoResult:
    run = replay.run("crash-window" if crash_in_window else "happy", idempotency=idempotency_key)
    attempts = [t for t in run.trace if t.kind == EventType.ACTIVITY_TASK_STARTED and t.data.get("activity_type") == "ChargeCard"]
    crashed = [t for t in run.trace if t.kind == TraceKind.WORKER_CRASHED]
    answers = run.observed_as(OrderObservations).payment_calls or []
    charges = run.ledger.of("charge", ORDER_ID)
    statement = run.ledger.statement_cents(ORDER_ID)
    lines = [f"ChargeCard runs {'with the idempotency key ' + KEY if idempotency_key else 'without an idempotency key'}."]
    for n, t in enumerate(attempts, 1):
        lines.append(f"  attempt {n} at {when(t.time)}: the payment service answered {answers[n - 1]}")
        if n == 1 and crashed:
            lines.append(f"  {when(crashed[0].time)}: {crashed[0].detail}")
            lines.append("  no ActivityTaskCompleted in the history: to the engine the activity never answered; "
                         "when its lease ran out (start-to-close 10 s) and the 1 s backoff passed, it retried")
    lines.append("The statement:")
    lines.extend(f"  {ln}" for ln in money_lines(run.ledger))
    deduped = answers.count("deduplicated")
    if crash_in_window and idempotency_key:
        lines.append(f"The retry carried the same key; the dedup store returned the first result: statement {money(statement)}.")
        headline = f"Crash in the window, key {KEY}: the retry was deduplicated, one charge, statement {money(statement)}"
    elif crash_in_window:
        lines.append(f"The retry had no key, so the service could not know it was a repeat: statement {money(statement)}. "
                     "The engine gives effectively-once workflow logic, but at-least-once activity effects.")
        headline = f"Crash in the window, no key: the retry charged again, statement {money(statement)}"
    else:
        headline = f"No crash: ChargeCard ran once {'with' if idempotency_key else 'without'} a key, statement {money(statement)}"
    return DemoResult(scene="06a", knobs={}, headline=headline, lines=lines, runs={"replay": run},
                      history=run.replay.history, figures={
                          "statement_cents": statement, "charges": len(charges), "attempts": len(attempts),
                          "payment_answers": answers, "deduplicated": deduped, "worker_crashed": bool(crashed),
                          "idempotency_key": KEY if idempotency_key else None})
