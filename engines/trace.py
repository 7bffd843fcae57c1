"""The common trace language of all engines.

The side-by-side view, the verifier and the tests read `TraceEvent`s and `Outcome`s, never an
engine's internals, so the three engines can be compared line by line on one timeline.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from enum import StrEnum
from typing import Any, Callable, Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from engines.names import ENGINES, EngineName

__all__ = ["ENGINES", "EngineName", "Outcome", "OutcomeStatus", "Severity", "TraceEvent", "TraceRecorder",
           "dump_trace", "load_trace"]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class TraceEvent(BaseModel):
    """One thing an engine did or saw, at a virtual time."""

    model_config = ConfigDict(frozen=True)

    time: datetime
    engine: EngineName
    kind: str = Field(description="what happened, in the engine's own vocabulary (e.g. TimerStarted)")
    subject: str = Field(default="", description="what it happened to: a workflow, task or state")
    detail: str = Field(default="", description="plain words for a person")
    severity: Severity = Severity.INFO
    data: dict[str, Any] = Field(default_factory=dict)


class OutcomeStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"
    RUNNING = "running"
    WAITING = "waiting"


class Outcome(BaseModel):
    """How a run ended and what the services saw (read from their ledger, not the engine's claims)."""

    engine: EngineName
    status: OutcomeStatus
    charged_cents: int = 0
    refunded_cents: int = 0
    reserved: int = 0
    released: int = 0
    shipped: int = 0
    emailed: int = 0
    slot_seconds: float = Field(default=0.0, description="worker-slot seconds held during the run")
    events: int = Field(default=0, description="events the engine wrote")
    problems: list[str] = Field(default_factory=list, description="what went wrong, in plain words")
    result: Any = None

    @property
    def net_charged_cents(self) -> int:
        return self.charged_cents - self.refunded_cents


_TRACE = TypeAdapter(list[TraceEvent])


def dump_trace(events: Iterable[TraceEvent]) -> str:
    return _TRACE.dump_json(list(events)).decode()


def load_trace(text: str | bytes) -> list[TraceEvent]:
    return _TRACE.validate_json(text)


class TraceRecorder:
    """Trace events in order, with an optional listener (a UI or a printer follows along).

    A run in the app keeps every event (the views replay them). A long-lived process (a `replay
    worker` serving thousands of orders) must not: with `keep=N` only the last N events stay in
    memory (`keep=0`: none, the listener still sees each one), and `emitted` still counts them all.
    """

    def __init__(self, engine: EngineName, listener: Callable[[TraceEvent], None] | None = None, *,
                 keep: int | None = None) -> None:
        if keep is not None and keep < 0:
            raise ValueError(f"keep must be 0 or more, got {keep}")
        if engine not in ENGINES:  # checked once here: emit builds its events without validation
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        self.engine: EngineName = engine
        self.events: list[TraceEvent] | deque[TraceEvent] = [] if keep is None else deque(maxlen=keep)
        self.listener = listener
        #: How many events were emitted in all (more than len() once `keep` dropped old ones).
        self.emitted = 0

    def emit(
        self,
        time: datetime,
        kind: str,
        subject: str = "",
        detail: str = "",
        severity: Severity = Severity.INFO,
        **data: Any,
    ) -> TraceEvent:
        # the engines' own calls, typed by their signatures: built without re-validating each field
        # (a run writes tens of thousands; validation was a tenth of a Map's whole cost)
        event = TraceEvent.model_construct(time=time, engine=self.engine, kind=str(kind), subject=subject, detail=detail,
                                           severity=Severity(severity), data=data)
        self.emitted += 1
        self.events.append(event)
        if self.listener is not None:
            self.listener(event)
        return event

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)
