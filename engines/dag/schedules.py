"""When DAG runs are due: presets, cron expressions (through croniter) and timedeltas.

Follows Airflow 3, whose default for a cron schedule is CronTriggerTimetable: a run fires at
each cron point and its logical date is that point (a zero-length data interval). With
catchup=True every point since `start_date` gets a run; with catchup=False (the Airflow 3
default) the scheduler only runs the most recent point, skipping the missed ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Mapping

from croniter import croniter

from engines.clock import as_utc
from engines.dag.errors import DagError

#: Airflow's CRON_PRESETS (task-sdk timetables/_cron.py); read-only, as every Scheduler shares it.
CRON_PRESETS: Mapping[str, str] = MappingProxyType({
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
})


class Timetable:
    """Answers: after the last automated run, when is the next one due (None: never)?"""

    description = ""

    def next_run_after(self, *, last: datetime | None, start_date: datetime | None, catchup: bool,
                       now: datetime) -> datetime | None:
        raise NotImplementedError


class _TriggerTimetable(Timetable):
    """A run at each point of the timetable, its logical date that point (Airflow's trigger timetables)."""

    def _align_to_next(self, t: datetime) -> datetime:
        raise NotImplementedError

    def _align_to_prev(self, t: datetime) -> datetime:
        raise NotImplementedError

    def _get_next(self, t: datetime) -> datetime:
        raise NotImplementedError

    def next_run_after(self, *, last: datetime | None, start_date: datetime | None, catchup: bool,
                       now: datetime) -> datetime | None:
        # a transcription of airflow/timetables/trigger.py _TriggerTimetable.next_dagrun_info
        if catchup:
            if last is not None:
                return self._get_next(last)
            return self._align_to_next(start_date if start_date is not None else now)
        candidates = [self._align_to_prev(now)]
        if last is not None:
            candidates.append(self._get_next(last))
        elif start_date is None:
            candidates.append(self._align_to_next(now))
        if start_date is not None:
            candidates.append(self._align_to_next(start_date))
        return max(candidates)


class CronTriggerTimetable(_TriggerTimetable):
    """A cron expression (or preset): a run at each cron point."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.description = expression

    def _match(self, t: datetime) -> bool:
        return bool(croniter.match(self.expression, t))

    def _align_to_next(self, t: datetime) -> datetime:
        return t if self._match(t) else self._get_next(t)

    def _align_to_prev(self, t: datetime) -> datetime:
        return t if self._match(t) else as_utc(croniter(self.expression, t).get_prev(datetime))

    def _get_next(self, t: datetime) -> datetime:
        return as_utc(croniter(self.expression, t).get_next(datetime))


class DeltaTriggerTimetable(_TriggerTimetable):
    """A timedelta schedule: a run every `delta`."""

    def __init__(self, delta: timedelta) -> None:
        self.delta = delta
        self.description = f"every {delta}"

    def _align_to_next(self, t: datetime) -> datetime:
        return t

    def _align_to_prev(self, t: datetime) -> datetime:
        return t

    def _get_next(self, t: datetime) -> datetime:
        return t + self.delta


class OnceTimetable(Timetable):
    """`@once`: one run, at the start date (or now), and never again."""

    description = "@once"

    def next_run_after(self, *, last: datetime | None, start_date: datetime | None, catchup: bool,
                       now: datetime) -> datetime | None:
        return None if last is not None else (start_date or now)


def timetable_for(schedule: str | timedelta | None, where: str = "") -> Timetable | None:
    """The timetable for a DAG's `schedule`, or a clear error naming the DAG and the value."""
    if schedule is None:
        return None
    if isinstance(schedule, timedelta):
        if schedule <= timedelta(0):
            raise DagError(f"{where}: schedule timedelta must be positive, got {schedule}")
        return DeltaTriggerTimetable(schedule)
    if not isinstance(schedule, str):
        raise DagError(f"{where}: schedule must be None, a preset, a cron expression or a timedelta, got {schedule!r}")
    if schedule == "@once":
        return OnceTimetable()
    expression = CRON_PRESETS.get(schedule, schedule)
    if expression.startswith("@") or not croniter.is_valid(expression):
        raise DagError(f"{where}: schedule {schedule!r} is neither a preset ({', '.join(CRON_PRESETS)}, @once) "
                       f"nor a valid cron expression")
    tt = CronTriggerTimetable(expression)
    tt.description = schedule
    return tt
