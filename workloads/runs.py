"""What running one workload under one scenario on one engine gives back.

Every engine's version of a workload returns a `WorkloadRun`, so the side-by-side runner, the
verifier, the lessons and the app read one shape. The outcome's figures come from the services'
ledger, never from the engine's own account of what it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from engines.trace import EngineName, Outcome, OutcomeStatus, TraceEvent
from workloads.services.ledger import Ledger

Listener = Callable[[TraceEvent], None]


@dataclass
class WorkloadRun:
    engine: EngineName
    workload: str
    scenario: str
    trace: list[TraceEvent]
    outcome: Outcome
    ledger: Ledger
    extra: dict[str, Any] = field(default_factory=dict)  # engine-specific figures (pokes, history size…)

    def to_json(self) -> dict[str, Any]:
        """The `run --json` shape, per engine."""
        o = self.outcome
        return {
            "status": o.status.value,
            "outcome": {
                "charged_cents": o.charged_cents,
                "refunded_cents": o.refunded_cents,
                "reserved": o.reserved,
                "released": o.released,
                "shipped": o.shipped,
                "emailed": o.emailed,
                "slot_seconds": o.slot_seconds,
                "events": o.events,
            },
            "problems": list(o.problems),
            "trace": [e.model_dump(mode="json") for e in self.trace],
        }


#: A Step Functions execution status as an Outcome status (one table for every workload).
STATEMACHINE_STATUS: dict[str, OutcomeStatus] = {
    "SUCCEEDED": OutcomeStatus.COMPLETED, "FAILED": OutcomeStatus.FAILED, "ABORTED": OutcomeStatus.CANCELED,
    "TIMED_OUT": OutcomeStatus.TIMED_OUT, "RUNNING": OutcomeStatus.WAITING,
}


def outcome_from_ledger(
    engine: EngineName,
    status: OutcomeStatus | str,
    ledger: Ledger,
    order_id: str | None = None,
    *,
    slot_seconds: float = 0.0,
    events: int = 0,
    problems: list[str] | None = None,
    result: Any = None,
) -> Outcome:
    """An Outcome whose money and goods are read from what the services recorded."""
    return Outcome(
        engine=engine,
        status=OutcomeStatus(status),
        slot_seconds=slot_seconds,
        events=events,
        problems=list(problems or []),
        result=result,
        **ledger.counts(order_id),
    )
