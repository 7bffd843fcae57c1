"""Sensors: tasks that wait for something by poking, with Airflow 3's defaults.

`poke_interval` 60 s, `timeout` 7 days (604,800 s, `[sensors] default_timeout`), mode "poke"
(the sensor keeps its worker slot and pool slot for the whole wait) or "reschedule" (it gives
them back between pokes; state up_for_reschedule). A timeout raises AirflowSensorTimeout, which
is never retried; with `soft_fail` the sensor is skipped instead. The scheduler drives the pokes
on the virtual clock (engines/dag/poking.py); a sensor only says whether it is satisfied.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Callable

from engines.clock import as_utc
from engines.dag.dag import BaseOperator, as_timedelta
from engines.dag.errors import DagError
from engines.dag.operators import call_with_context
from engines.dag.triggers import DateTimeTrigger

DEFAULT_POKE_INTERVAL = timedelta(seconds=60)
DEFAULT_SENSOR_TIMEOUT = timedelta(days=7)


class SensorMode(StrEnum):
    """How a sensor waits between pokes (Airflow's `BaseSensorOperator.valid_modes`)."""

    POKE = "poke"  # keep the worker slot for the whole wait
    RESCHEDULE = "reschedule"  # give it back between pokes (up_for_reschedule)


MODES: tuple[SensorMode, ...] = tuple(SensorMode)


class BaseSensorOperator(BaseOperator):
    """Subclasses implement `poke(context) -> bool`."""

    def __init__(self, task_id: str, *, poke_interval: timedelta | float = DEFAULT_POKE_INTERVAL,
                 timeout: timedelta | float | None = None, mode: SensorMode | str = SensorMode.POKE,
                 soft_fail: bool = False, exponential_backoff: bool = False,
                 max_wait: timedelta | float | None = None, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(task_id, **kwargs)
        self.deferrable = deferrable
        if deferrable and type(self).execute is BaseSensorOperator.execute:
            raise DagError(f"DAG {self.dag.dag_id}, sensor {task_id}: {type(self).__name__} cannot defer "
                           "(only sensors that wait for a moment on the clock can: TimeDeltaSensor, DateTimeSensor)")
        where = f"DAG {self.dag.dag_id}, sensor {task_id}"
        if mode not in MODES:
            raise DagError(f"{where}: mode must be 'poke' or 'reschedule', got {mode!r}")
        self.poke_interval = as_timedelta(poke_interval, f"{where}: poke_interval")
        self.timeout = as_timedelta(timeout, f"{where}: timeout") if timeout is not None else DEFAULT_SENSOR_TIMEOUT
        if self.poke_interval <= timedelta(0):
            raise DagError(f"{where}: poke_interval must be positive")
        if self.timeout < timedelta(0):
            raise DagError(f"{where}: timeout cannot be negative")
        self.mode = SensorMode(mode)
        self.soft_fail = soft_fail
        self.exponential_backoff = exponential_backoff
        self.max_wait = as_timedelta(max_wait, f"{where}: max_wait")

    @property
    def reschedule(self) -> bool:
        """Whether the sensor gives its slot back between pokes (Airflow's `BaseSensorOperator.reschedule`)."""
        return self.mode == SensorMode.RESCHEDULE

    def execute(self, context: dict[str, Any]) -> Any:
        """A sensor runs through the scheduler's poke loop (poking.py), or defers (deferrable ones)."""
        raise DagError(f"sensor {self.task_id}: execute() is for deferrable sensors")

    def execute_complete(self, context: dict[str, Any], event: Any = None) -> None:
        """Where a deferrable sensor resumes when its trigger fires: it is satisfied."""
        return None

    def poke(self, context: dict[str, Any]) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def next_poke_interval(self, started_at: datetime, run_duration: float, poke_count: int) -> float:
        """Seconds to the next poke. With exponential_backoff, Airflow's formula:
        min_backoff = max(int(poke_interval * 2**(poke_count-2)), 1) plus a sha1 jitter, capped by
        the time left before the timeout and by max_wait."""
        interval = self.poke_interval.total_seconds()
        if not self.exponential_backoff:
            return interval
        min_backoff = max(int(interval * (2 ** (poke_count - 2))), 1)
        run_hash = int(hashlib.sha1(f"{self.dag.dag_id}#{self.task_id}#{started_at}#{poke_count}".encode(),
                                    usedforsecurity=False).hexdigest(), 16)
        new_interval = min(self.timeout.total_seconds() - int(run_duration), float(min_backoff + run_hash % min_backoff))
        if self.max_wait is not None:
            new_interval = min(self.max_wait.total_seconds(), new_interval)
        return max(new_interval, 1.0)


class PythonSensor(BaseSensorOperator):
    """Pokes a callable until it returns something truthy."""

    def __init__(self, task_id: str, python_callable: Callable[..., Any], *, op_kwargs: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self.python_callable = python_callable
        self.op_kwargs = dict(op_kwargs or {})
        super().__init__(task_id, **kwargs)

    def poke(self, context: dict[str, Any]) -> bool:
        return bool(call_with_context(self.python_callable, context, (), self.op_kwargs))


class TimeDeltaSensor(BaseSensorOperator):
    """Waits until `delta` after the run's data interval end (for a manual run: its start).
    This is how a DAG says "wait 30 days"."""

    def __init__(self, task_id: str, *, delta: timedelta | float, **kwargs: Any) -> None:
        super().__init__(task_id, **kwargs)
        self.delta = as_timedelta(delta, f"DAG {self.dag.dag_id}, sensor {task_id}: delta")

    def target(self, context: dict[str, Any]) -> datetime:
        """When the wait is over: the data interval end (or the run's start) plus `delta`."""
        base: datetime = context.get("data_interval_end") or context["dag_run"].start_date
        return base + self.delta

    def poke(self, context: dict[str, Any]) -> bool:
        now: datetime = context["now"]
        return now >= self.target(context)

    def execute(self, context: dict[str, Any]) -> Any:
        """deferrable=True: wait in the triggerer for the target moment (DateTimeTrigger), holding no
        worker slot; the sensor's timeout (7 days by default) is the deferral's timeout, as in Airflow."""
        target = self.target(context)
        if context["now"] >= target:
            return None
        self.defer(trigger=DateTimeTrigger(target), method_name="execute_complete", timeout=self.timeout)


class DateTimeSensor(BaseSensorOperator):
    """Waits until `target_time` (a datetime, or a templated ISO string)."""

    template_fields = ("target_time",)

    def __init__(self, task_id: str, *, target_time: datetime | str, **kwargs: Any) -> None:
        self.target_time = target_time
        super().__init__(task_id, **kwargs)

    def _target(self) -> datetime:
        t = self.target_time
        return as_utc(t if isinstance(t, datetime) else datetime.fromisoformat(str(t)))

    def poke(self, context: dict[str, Any]) -> bool:
        return bool(context["now"] >= self._target())

    def execute(self, context: dict[str, Any]) -> Any:
        if context["now"] >= self._target():
            return None
        self.defer(trigger=DateTimeTrigger(self._target()), method_name="execute_complete", timeout=self.timeout)
