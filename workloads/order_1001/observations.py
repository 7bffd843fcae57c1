"""What ORDER #1001 saw during a run, beyond its Outcome: the record its three versions fill.

A field a scenario or an engine never reaches stays None: `status_before_signal` exists only
where a cancelOrder was signalled (replay), `payment_calls` only where the replay run read the
payment service's call log, `order_1002` only in deploy-v2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from workloads.details import StateRow
from workloads.runs import Observations


class OrderStatus(TypedDict):
    """The answer to the getOrderStatus query: the step the order's code stands at."""

    step: str
    order_id: str


@dataclass(frozen=True)
class Order1002:
    """ORDER #1002, started after the deploy: which version it ran and whether FraudCheck was in it."""

    status: str                          # the engine's own status word (Completed, SUCCEEDED, ...)
    fraud_check: bool | None = None      # replay: a FraudCheck activity was scheduled
    version: int | None = None           # statemachine: the definition version it started on
    states: list[str] | None = None      # statemachine: the states it entered, in order
    events: list[str] | None = None      # statemachine: its history event types


@dataclass(frozen=True)
class OrderObservations(Observations):
    day: float | None = None                        # the day of the user's action (cancel, crash, deploy)
    idempotency_keys: bool | None = None            # replay: did activities pass stable keys
    gate: bool | None = None                        # replay deploy-v2: was v2 behind a version gate
    status_before_signal: OrderStatus | None = None
    status_after_signal: OrderStatus | None = None
    live_workers_while_down: int | None = None      # replay: workers alive between crash and restart
    history_when_down: int | None = None            # replay: history length when the worker died
    crashed: bool = False                           # replay crash-window: the worker died after ChargeCard
    statement_cents: int | None = None              # replay: the card statement's net for the order
    payment_calls: list[str] | None = None          # replay: the payment service's answers, in order
    order_1002: Order1002 | None = None             # deploy-v2: the order started after the deploy
    states_v2: list[StateRow] | None = None         # statemachine deploy-v2: the v2 definition's states
