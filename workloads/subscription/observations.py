"""What the subscription saw during a run: charges by period (from the ledger), runs used, history sizes.

The money figures are read from the services (ledger and payment call log); the run figures
from the engine's own records (replay runs and their histories, DAG runs, state-machine
executions and their histories).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workloads.runs import Observations
from workloads.services import Services
from workloads.subscription import billing as b


@dataclass(frozen=True)
class RunUsed:
    """One replay run, DAG run or state-machine execution the subscription used."""

    run_id: str
    status: str
    periods: tuple[int, ...]        # the renewals charged in it (from the ledger, by charge time)
    history_length: int             # replay: events; statemachine: events; dag: task-instance tries
    started: datetime | None = None
    ended: datetime | None = None

    @property
    def days(self) -> float:
        """How long it ran (0 when not known)."""
        if self.started is None or self.ended is None:
            return 0.0
        return (self.ended - self.started).total_seconds() / 86400


@dataclass(frozen=True)
class SubscriptionObservations(Observations):
    charges_by_period: dict[int, int]              # renewal -> cents charged (ledger); a period twice would show as a sum
    charge_count_by_period: dict[int, int]         # renewal -> how many charge entries (1 is right)
    declined_periods: tuple[int, ...]              # renewals whose charge the payment service declined
    receipts: int                                  # receipt emails sent
    runs: tuple[RunUsed, ...]                      # the runs / DAG runs / executions used, oldest first
    history_limit: int                             # the engine's limit on one run's history
    final_status: str                              # the subscription's status at the end
    canceled_month: int | None = None              # the month the customer canceled in
    price_change_month: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # when a limit would have been hit, etc.

    @property
    def periods_charged(self) -> tuple[int, ...]:
        return tuple(sorted(self.charges_by_period))

    @property
    def max_history_length(self) -> int:
        return max((r.history_length for r in self.runs), default=0)


def charges(services: Services) -> tuple[dict[int, int], dict[int, int]]:
    """The ledger's charges of the subscription, summed and counted per renewal (by charge time)."""
    cents: dict[int, int] = {}
    count: dict[int, int] = {}
    for e in services.ledger(b.SUB_ID).of("charge", b.SUB_ID):
        k = b.period_of(e.at)
        cents[k] = cents.get(k, 0) + e.amount_cents
        count[k] = count.get(k, 0) + 1
    return cents, count


def declined(services: Services) -> tuple[int, ...]:
    """The renewals whose charge the payment service answered with CardDeclined (its call log)."""
    return tuple(sorted({b.period_of(datetime.fromisoformat(c["at"])) for c in services.calls("payment")
                         if c["answer"] == "CardDeclined"}))


def periods_in(services: Services, start: datetime | None, end: datetime | None) -> tuple[int, ...]:
    """The renewals charged between `start` and `end` (a run's lifetime)."""
    out = []
    for e in services.ledger(b.SUB_ID).of("charge", b.SUB_ID):
        if (start is None or e.at >= start) and (end is None or e.at <= end):
            out.append(b.period_of(e.at))
    return tuple(out)


def scenario_months(scenario: str) -> tuple[int | None, int | None]:
    return (b.CANCEL_MONTH if scenario == "cancel" else None, b.PRICE_MONTH if scenario == "price-change" else None)
