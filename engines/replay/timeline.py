"""The engine's durable timeline: virtual time kept in the database with the history.

Temporal's server runs on wall-clock time; this engine runs on a `Clock` that may be virtual, so
30 days of timers pass in milliseconds. For a restarted worker (or a second process on the same
file) to continue the *same* timeline, the virtual time is saved with every committed
transaction and read back before a worker polls.
"""

from __future__ import annotations

from datetime import datetime

from engines.clock import Clock, UTC, VirtualClock
from engines.replay.tables import CLOCK_META
from engines.store import Store



def to_datetime(ts: float) -> datetime:
    """A stored POSIX timestamp (how every table keeps time) as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


class Timeline:
    """The clock of one server, and the virtual time persisted in its store."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._persisted = 0.0  # the latest time saved (or seen) in the store

    def now(self) -> datetime:
        return self.clock.now()

    def ts(self) -> float:
        """Now as POSIX seconds, the form every table stores."""
        return self.clock.now().timestamp()

    def sync(self) -> None:
        """Catch up with the timeline other processes may have moved forward (virtual clocks only)."""
        saved = self.store.get_meta(CLOCK_META)
        if saved is not None:
            self._persisted = max(self._persisted, float(saved))
            if isinstance(self.clock, VirtualClock) and float(saved) > self.ts():
                self.clock.set(to_datetime(float(saved)))

    def advance_to(self, t: datetime) -> None:
        """Move the clock forward (skip-time); the caller's next commit persists it."""
        if t > self.clock.now():
            self.clock.advance_to(t)

    def persist(self) -> None:
        """Save virtual time that moved past what is stored. Called inside the committing
        transaction, so a step and the time it happened at are saved together."""
        if isinstance(self.clock, VirtualClock) and self.ts() > self._persisted:
            self._persisted = self.ts()
            self.store.set_meta(CLOCK_META, repr(self._persisted))
