"""Triggers: what a deferred task waits on in the triggerer, holding no worker slot (Airflow's
airflow/providers/standard/triggers/temporal.py).

The only events this simulator can wait for are moments on its clock, which is what
DateTimeTrigger and TimeDeltaTrigger are; a deferrable sensor of anything else would need an
event source the simulation does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engines.clock import as_utc


@dataclass(frozen=True)
class DateTimeTrigger:
    """Fires at `moment` (timezone-aware, as Airflow requires)."""

    moment: datetime
    end_from_trigger: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.moment, datetime):
            raise TypeError(f"DateTimeTrigger: expected a datetime, got {self.moment!r}")
        object.__setattr__(self, "moment", as_utc(self.moment))

    def fires_at(self, deferred_at: datetime) -> datetime:
        return self.moment


@dataclass(frozen=True)
class TimeDeltaTrigger:
    """Fires `delta` after the task deferred."""

    delta: timedelta
    end_from_trigger: bool = False

    def fires_at(self, deferred_at: datetime) -> datetime:
        return deferred_at + self.delta
