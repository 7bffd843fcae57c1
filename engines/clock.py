"""Time for every engine: a virtual clock that skips and a wall clock with the same protocol.

Engines never read the wall clock or sleep on their own; they ask a clock. That is what lets
30 virtual days pass in milliseconds and the same ORDER #1001 run on three engines on one
timeline. Timers are absolute due times, so a restarted engine can re-arm them from its store.
"""

from __future__ import annotations

import heapq
import itertools
import time as _time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol, runtime_checkable

UTC = timezone.utc
#: Where virtual time starts unless told otherwise: day 0 of every demo.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class ClockError(ValueError):
    """A clock was asked to do something impossible, such as run backwards."""


def as_utc(t: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass(order=True)
class Timer:
    """A callback due at an absolute time. Ordered by (due, seq) so ties fire in arm order."""

    due: datetime
    seq: int
    callback: Callable[[datetime], None] = field(compare=False)
    name: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)
    fired_at: datetime | None = field(default=None, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


@runtime_checkable
class Clock(Protocol):
    """What an engine may ask of time."""

    def now(self) -> datetime: ...

    def call_at(self, due: datetime, callback: Callable[[datetime], None], name: str = "") -> Timer: ...

    def call_later(self, delay: timedelta, callback: Callable[[datetime], None], name: str = "") -> Timer: ...

    def next_due(self) -> datetime | None: ...

    def advance(self, delta: timedelta) -> int: ...

    def advance_to(self, t: datetime) -> int: ...

    def jump_to_next(self) -> datetime | None: ...

    def sleep(self, seconds: float) -> None: ...


class _TimerQueue:
    """The timer heap both clocks share; firing is the clocks' business."""

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = itertools.count()

    def call_at(self, due: datetime, callback: Callable[[datetime], None], name: str = "") -> Timer:
        timer = Timer(as_utc(due), next(self._seq), callback, name)
        heapq.heappush(self._heap, timer)
        return timer

    def call_later(self, delay: timedelta, callback: Callable[[datetime], None], name: str = "") -> Timer:
        if delay < timedelta(0):
            raise ClockError(f"timer {name or '?'}: negative delay {delay}")
        return self.call_at(self.now() + delay, callback, name)

    def now(self) -> datetime:  # pragma: no cover - overridden
        raise NotImplementedError

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)

    def next_due(self) -> datetime | None:
        """The due time of the earliest live timer, or None when nothing is armed."""
        self._drop_cancelled()
        return self._heap[0].due if self._heap else None

    def pending(self) -> list[Timer]:
        return sorted(t for t in self._heap if not t.cancelled)

    def _pop_due(self, limit: datetime) -> Timer | None:
        self._drop_cancelled()
        if self._heap and self._heap[0].due <= limit:
            return heapq.heappop(self._heap)
        return None


class VirtualClock(_TimerQueue):
    """Time moves only when told. Timers fire in due order, each at exactly its due time.

    A timer armed in the past (due before now) fires at the next advance, at `now`: never early,
    never skipped.
    """

    def __init__(self, start: datetime = EPOCH) -> None:
        super().__init__()
        self._now = as_utc(start)
        self.start = self._now

    def now(self) -> datetime:
        return self._now

    def elapsed(self) -> timedelta:
        return self._now - self.start

    def advance_to(self, t: datetime) -> int:
        """Move to `t`, firing every timer due on the way at its own due time. Returns how many fired."""
        t = as_utc(t)
        if t < self._now:
            raise ClockError(f"cannot move the clock back from {self._now.isoformat()} to {t.isoformat()}")
        fired = 0
        while (timer := self._pop_due(t)) is not None:
            self._now = max(self._now, timer.due)
            timer.fired_at = self._now
            timer.callback(self._now)
            fired += 1
        self._now = t
        return fired

    def advance(self, delta: timedelta) -> int:
        if delta < timedelta(0):
            raise ClockError(f"cannot advance by a negative amount ({delta})")
        return self.advance_to(self._now + delta)

    def jump_to_next(self) -> datetime | None:
        """Skip straight to the next due timer and fire everything due then; None when idle."""
        due = self.next_due()
        if due is None:
            return None
        self.advance_to(max(due, self._now))
        return self._now

    def run_until_idle(self, until: datetime | None = None, max_timers: int = 1_000_000) -> int:
        """Jump timer to timer until none is left (or the next is after `until`)."""
        fired = 0
        while fired < max_timers:
            due = self.next_due()
            if due is None or (until is not None and due > as_utc(until)):
                break
            fired += self.advance_to(max(due, self._now))
        if until is not None and as_utc(until) > self._now:
            self.advance_to(until)
        return fired

    def sleep(self, seconds: float) -> None:
        """On a virtual clock a sleep is an advance: no real time passes."""
        self.advance(timedelta(seconds=seconds))

    def set(self, t: datetime) -> None:
        """Restore a persisted time (a restarted engine continuing its timeline). Only forward."""
        t = as_utc(t)
        if t > self._now:
            self.advance_to(t)


class WallClock(_TimerQueue):
    """Real time with the same protocol: advancing means waiting. For live demos, not tests."""

    def __init__(self, sleeper: Callable[[float], None] = _time.sleep) -> None:
        super().__init__()
        self._sleeper = sleeper

    def now(self) -> datetime:
        return datetime.now(UTC)

    def _fire_due(self) -> int:
        fired = 0
        while (timer := self._pop_due(self.now())) is not None:
            timer.fired_at = self.now()
            timer.callback(timer.fired_at)
            fired += 1
        return fired

    def advance_to(self, t: datetime) -> int:
        t = as_utc(t)
        fired = 0
        while True:
            fired += self._fire_due()
            now = self.now()
            if now >= t:
                return fired
            due = self.next_due()
            target = min(t, due) if due is not None else t
            self._sleeper(max(0.0, (target - now).total_seconds()))

    def advance(self, delta: timedelta) -> int:
        return self.advance_to(self.now() + delta)

    def jump_to_next(self) -> datetime | None:
        due = self.next_due()
        if due is None:
            return None
        self.advance_to(due)
        return self.now()

    def sleep(self, seconds: float) -> None:
        self.advance(timedelta(seconds=seconds))


def days(n: float) -> timedelta:
    return timedelta(days=n)


def human_duration(seconds: float) -> str:
    """A span in the words an engine's trace uses: "30 days", "1 day", "2 h", "5 min", "1.5 s"."""
    s = float(seconds)
    if s >= 86400 and s % 86400 == 0:
        return "1 day" if s == 86400 else f"{int(s // 86400)} days"
    if s >= 3600 and s % 3600 == 0:
        return f"{int(s // 3600)} h"
    if s >= 60 and s % 60 == 0:
        return f"{int(s // 60)} min"
    if s >= 86400:
        return f"{s / 86400:g} days"
    if s >= 3600:
        return f"{s / 3600:g} h"
    return f"{s:g} s"


def day_of(t: datetime, start: datetime = EPOCH) -> float:
    """Which day of the demo `t` is (day 0 is the start)."""
    return (as_utc(t) - as_utc(start)).total_seconds() / 86400
