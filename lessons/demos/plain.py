"""ORDER #1001 as plain Python, with no engine: what scenes 01, 06 and 07 compare the engine with.

The function keeps its progress in local variables and calls the real services. A crash is an
exception raised at a chosen point: it unwinds the frame, so every local variable is gone,
exactly what a killed process loses. The cron job reruns an unfinished job from the top at each
tick of its schedule (croniter), on the virtual clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from croniter import croniter

from engines.clock import VirtualClock
from workloads.order_1001.order import ORDER
from workloads.services import ServiceError, Services

#: The contrast the course draws: a cron line that reruns the whole job every five minutes.
EVERY_5_MINUTES = "*/5 * * * *"


class ProcessCrashed(Exception):
    """The process running the plain function died; `ram` is what its local variables held."""

    def __init__(self, where: str, ram: dict[str, Any]) -> None:
        super().__init__(f"the process died {where}")
        self.where = where
        self.ram = ram


def place_order(services: Services, order: dict = ORDER, *, crash_after: str | None = None) -> dict[str, Any]:
    """The naive order: four calls in a row, progress only in local variables, no idempotency key."""
    ram: dict[str, Any] = {"step": "ChargeCard"}
    ram["charge"] = services.charge_card(order["order_id"], order["amount_cents"])["id"]
    _maybe_die("ChargeCard", crash_after, ram)
    ram["step"] = "ReserveInventory"
    ram["reservation"] = services.reserve_inventory(order["order_id"], order["sku"], order["qty"])["id"]
    _maybe_die("ReserveInventory", crash_after, ram)
    ram["step"] = "ShipPackage"
    ram["shipment"] = services.ship_package(order["order_id"], order["warehouse"])["id"]
    _maybe_die("ShipPackage", crash_after, ram)
    ram["step"] = "SendConfirmationEmail"
    ram["email"] = services.send_confirmation_email(order["order_id"], order["email"])["id"]
    ram["step"] = "done"
    return ram


def _maybe_die(step: str, crash_after: str | None, ram: dict[str, Any]) -> None:
    if crash_after == step:
        raise ProcessCrashed(f"right after {step} returned", dict(ram))


@dataclass
class CronRun:
    """One run of the job a cron line started."""

    number: int
    at: datetime
    ok: bool
    error: str = ""
    ram_lost: dict[str, Any] = field(default_factory=dict)


def cron(job: Callable[[int], Any], clock: VirtualClock, *, schedule: str = EVERY_5_MINUTES,
         max_runs: int = 12) -> list[CronRun]:
    """Run `job(n)` now, and again at each tick of `schedule` until one run finishes cleanly.

    A cron line knows nothing of what the last run did: it starts the job from the top each time,
    and it cannot tell a declined card from an outage, so it stops only at `max_runs`.
    """
    ticks = croniter(schedule, clock.now())
    runs: list[CronRun] = []
    at = clock.now()
    for number in range(1, max_runs + 1):
        clock.advance_to(at)
        try:
            job(number)
        except ProcessCrashed as exc:
            runs.append(CronRun(number, at, False, str(exc), exc.ram))
        except ServiceError as exc:
            runs.append(CronRun(number, at, False, f"{exc.type_name}: {exc}"))
        else:
            runs.append(CronRun(number, at, True))
            break
        at = ticks.get_next(datetime)
    return runs
