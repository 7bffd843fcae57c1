"""The activity side: `@activity.defn`, and `activity.info()` / `activity.heartbeat()` inside one.

An activity is ordinary Python that touches the world (a payment API, a warehouse). It runs at
least once; its result is recorded and never re-run on replay. Its stable idempotency key
`<workflow id>-<activity id>` lets the service it calls drop a repeated attempt.

The running activity is found through a `ContextVar` (as in temporalio's activity module), not a
module-level variable: the app runs several engines in worker threads at once, and each thread
(and each asyncio task) must see its own activity and idempotency key.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator, TypeVar

from engines.replay.errors import ReplayError

F = TypeVar("F", bound=Callable[..., Any])


def defn(fn: F | None = None, *, name: str | None = None) -> Any:
    """Mark a function (or method) as an activity, optionally with its type name."""

    def mark(f: F) -> F:
        f.__activity_name__ = name or f.__name__  # type: ignore[attr-defined]
        return f

    return mark(fn) if fn is not None else mark


def activity_name(fn: Callable | str) -> str:
    """An activity's type name: the `activity.defn(name=...)` name, else the function's name."""
    if isinstance(fn, str):
        return fn
    name = getattr(fn, "__activity_name__", None) or getattr(fn, "__name__", None)
    return name if isinstance(name, str) else str(fn)


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


_current: ContextVar[ActivityInfo | None] = ContextVar("replay_activity_info", default=None)


@contextmanager
def executing(info: ActivityInfo) -> Iterator[ActivityInfo]:
    """The worker runs one activity attempt inside this: `info()` answers `info` in this thread
    (or task) only, and the previous answer comes back afterwards."""
    token = _current.set(info)
    try:
        yield info
    finally:
        _current.reset(token)


def info() -> ActivityInfo:
    """The running activity's info (attempt, idempotency key, virtual time)."""
    current = _current.get()
    if current is None:
        raise ReplayError("activity.info() called outside an activity")
    return current


def heartbeat(*details: Any) -> None:
    """Tell the engine the activity is alive (extends its lease) and record progress details."""
    current = info()
    if current._heartbeat is not None:
        current._heartbeat(list(details) if len(details) != 1 else details[0])
