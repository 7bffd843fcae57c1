"""The activity side: `@activity.defn`, and `activity.info()` / `activity.heartbeat()` inside one.

An activity is ordinary Python that touches the world (a payment API, a warehouse). It runs at
least once; its result is recorded and never re-run on replay. Its stable idempotency key
`<workflow id>-<activity id>` lets the service it calls drop a repeated attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TypeVar

from engines.replay.errors import ReplayError

F = TypeVar("F", bound=Callable[..., Any])


def defn(fn: F | None = None, *, name: str | None = None) -> Any:
    """Mark a function (or method) as an activity, optionally with its type name."""

    def mark(f: F) -> F:
        f.__activity_name__ = name or f.__name__  # type: ignore[attr-defined]
        return f

    return mark(fn) if fn is not None else mark


@dataclass
class ActivityInfo:
    """What a running activity knows about itself."""

    workflow_id: str
    run_id: str
    activity_id: str
    activity_type: str
    attempt: int
    idempotency_key: str | None  # None when the worker runs with idempotency keys switched off
    scheduled_time: datetime
    current_time: datetime
    heartbeat_details: Any = None
    _heartbeat: Callable[[Any], None] | None = field(default=None, repr=False)


_current: list[ActivityInfo] = []


def info() -> ActivityInfo:
    """The running activity's info (attempt, idempotency key, virtual time)."""
    if not _current:
        raise ReplayError("activity.info() called outside an activity")
    return _current[-1]


def in_activity() -> bool:
    return bool(_current)


def heartbeat(*details: Any) -> None:
    """Tell the engine the activity is alive (extends its lease) and record progress details."""
    current = info()
    if current._heartbeat is not None:
        current._heartbeat(list(details) if len(details) != 1 else details[0])


def idempotency_key() -> str | None:
    return info().idempotency_key
