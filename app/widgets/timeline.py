"""The run view's one virtual clock: virtual days since EPOCH, and the unit the axis counts in.

Every trace time is read as a virtual day (day 0 = `engines.clock.EPOCH`). A workload's axis is
fitted to the workload: ORDER #1001 lives 30 days, the nightly ETL ten minutes, so the `Scale`
picks days, hours, minutes or seconds from the span, and every picture prints moments in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun

DAY = 86400.0
EPOCH = datetime.fromisoformat("2026-01-01T00:00:00+00:00")  # engines.clock.EPOCH: day 0 of every run


def day_of(time: datetime) -> float:
    """Virtual day of a trace time (day 0 = EPOCH)."""
    return (time - EPOCH).total_seconds() / DAY


@dataclass(frozen=True)
class Scale:
    """The axis unit: its name, its length in days, and the axis end in whole units."""

    unit: str          # "day", "hour", "minute", "second"
    days: float        # one unit, in days
    end: float         # the axis end, in days (a whole number of units)

    @classmethod
    def fit(cls, last_day: float, *, at_least: float = 0.0) -> Scale:
        """The largest unit that gives the span at least two steps; the end rounded up to a unit."""
        span = max(last_day, at_least, 0.0)
        for unit, days in (("day", 1.0), ("hour", 1 / 24), ("minute", 1 / 1440), ("second", 1 / DAY)):
            if span >= 2 * days or unit == "second":
                units = max(1, math.ceil(span / days - 1e-9))
                return cls(unit, days, units * days)
        raise AssertionError("unreachable")

    @property
    def steps(self) -> int:
        return max(1, round(self.end / self.days))

    def label(self, day: float) -> str:
        """A moment in this unit: `d3`, `d7.5`, `+2 min`, `+40 s`."""
        value = day / self.days
        shown = f"{value:.0f}" if abs(value - round(value)) < 0.01 else f"{value:.1f}"
        if self.unit == "day":
            return f"d{shown}"
        return f"+{shown} {dict(hour='h', minute='min', second='s')[self.unit]}"

    def span(self, days: float) -> str:
        """A duration in this unit: `27 days`, `4 min`."""
        value = days / self.days
        shown = f"{value:.0f}" if abs(value - round(value)) < 0.01 else f"{value:.1f}"
        return f"{shown} {self.unit}{'' if shown == '1' else 's'}"


def slot_days_held(run: WorkloadRun | None, now: float) -> float:
    """Days of worker slot held up to virtual day `now`, read from the run's task-instance grid
    (each try's start and the slot-seconds it held). A run with no grid (replay, state machine)
    holds no slot while it waits: 0."""
    if run is None:
        return 0.0
    held = 0.0
    for row in run.dag.grid if run.engine == "dag" else ():
        held += _held(row, now)
    return held


def task_slot_days(run: WorkloadRun, task_id: str, now: float) -> float:
    """Days of worker slot one task's tries have held up to `now`."""
    return sum(_held(row, now) for row in run.dag.grid if row.get("task_id") == task_id)


def _held(row: dict, now: float) -> float:
    start, seconds = row.get("start"), float(row.get("slot_seconds") or 0.0)
    if start is None or seconds <= 0:
        return 0.0
    begun = day_of(start if isinstance(start, datetime) else datetime.fromisoformat(str(start)))
    return min(seconds / DAY, max(0.0, now - begun))
