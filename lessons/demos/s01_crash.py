"""Scene 01: a plain function, a crash right after ChargeCard, and a cron job that reruns it.

No engine: the order is `plain.place_order`, its progress in local variables, calling the real
services without an idempotency key. The statement is read from the payment service's ledger.
"""

from __future__ import annotations

from engines.clock import EPOCH, VirtualClock
from lessons.demos.engine import money, money_lines, when
from lessons.demos.plain import cron, place_order
from lessons.demos.result import DemoResult
from workloads.order_1001.order import ORDER_ID
from workloads.services import Services


def demo(crash_after_charge: bool) -> DemoResult:
    clock = VirtualClock(EPOCH)
    services = Services(":memory:", clock)

    def job(run: int) -> None:  # the process dies once: on the first run, if the knob says so
        place_order(services, crash_after="ChargeCard" if crash_after_charge and run == 1 else None)

    runs = cron(job, clock)
    ledger = services.ledger(ORDER_ID)
    statement = ledger.statement_cents(ORDER_ID)
    charges = len(ledger.of("charge", ORDER_ID))
    lines = [("ORDER #1001 as a plain function: ChargeCard → ReserveInventory → ShipPackage → SendConfirmationEmail, "
             "its progress only in local variables.")]
    for r in runs:
        if r.ok:
            lines.append(f"{when(r.at)}  run {r.number}: all four steps done; the process exits cleanly.")
        else:
            held = ", ".join(f"{k}={v}" for k, v in r.ram_lost.items())
            lines.append(f"{when(r.at)}  run {r.number}: {r.error}. RAM held {{{held}}}: wiped with the process.")
            lines.append(f"{' ' * len(when(r.at))}  cron sees an unfinished job and starts it again from the top "
                         "at its next 5-minute tick; nothing tells it the card was charged.")
    lines.append("The payment service's statement:")
    lines.extend(f"  {ln}" for ln in money_lines(ledger))
    lines.append(f"Statement: {money(statement)} ({charges} charge{'s' if charges != 1 else ''} of $42)"
                 + (": durable execution would have carried on from ReserveInventory instead." if charges > 1 else "."))
    headline = (f"Crash after ChargeCard, cron reran from the top: charged {charges} times, statement {money(statement)}"
                if crash_after_charge else f"No crash: one run, one charge, statement {money(statement)}")
    return DemoResult(scene="01", knobs={}, headline=headline, lines=lines, figures={
        "statement_cents": statement, "charges": charges, "cron_runs": len(runs),
        "shipped": len(ledger.of("shipment", ORDER_ID))})
