"""The scheduler's side of a sensor: poke on the clock, time out, give the slot back or keep it.

A sensor operator (sensors.py) only answers "satisfied yet?". This module asks it, on the
virtual clock, the way Airflow's BaseSensorOperator.execute does: count the pokes, fail with
AirflowSensorTimeout once `run duration > timeout` after a false poke (or skip, with soft_fail),
and between pokes either keep the worker slot (mode poke: the next poke is a timer in the same
running try) or give it back (mode reschedule: up_for_reschedule until the next poke is due).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from engines.clock import day_of, human_duration
from engines.dag.errors import (
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
)
from engines.dag.loop import SchedulerLoop
from engines.dag.models import TaskInstance
from engines.dag.sensors import BaseSensorOperator, SensorMode
from engines.dag.states import TI
from engines.dag.taskinstance import TaskInstanceLifecycle


class PokeLoop:
    """Drives the pokes of running sensor task instances."""

    def __init__(self, loop: SchedulerLoop, lifecycle: TaskInstanceLifecycle) -> None:
        self.loop = loop
        self.lifecycle = lifecycle

    def poke(self, ti: TaskInstance, token: int) -> None:
        """One poke of the sensor this (still current) try runs, and what follows from its answer."""
        if token != ti.token or ti.state != TI.RUNNING:
            return
        sensor = ti.operator
        if not isinstance(sensor, BaseSensorOperator):
            raise TypeError(f"task {ti.task_id} is a {type(sensor).__name__}, not a sensor: it cannot be poked")
        lifecycle = self.lifecycle
        now = self.loop.now()
        if ti.sensor_started is None:
            ti.sensor_started = now
        ti.pokes += 1
        day = int(day_of(now, ti.run.start_date or now))
        if day != ti.last_trace_day:  # one trace line per day of waiting, not one per poke
            ti.last_trace_day = day
            held = "holding its worker slot" if sensor.mode == SensorMode.POKE else "its slot is free between pokes"
            self.loop.emit("Sensor poke", ti.task_id, f"poke #{ti.pokes} (mode={sensor.mode}, {held})",
                           run_id=ti.run_id, pokes=ti.pokes, mode=sensor.mode)
        try:
            context = lifecycle.context(ti)
            rendered = lifecycle.prepare(ti, context)
            assert isinstance(rendered, BaseSensorOperator)
            satisfied = rendered.poke(context)
        except AirflowRescheduleException as exc:
            lifecycle.reschedule(ti, token, exc.reschedule_date, f"AirflowRescheduleException: {exc}")
            return
        except (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException) as exc:
            lifecycle.handle_failure(ti, AirflowSkipException(f"soft_fail: {exc}") if sensor.soft_fail else exc)
            return
        except Exception as exc:  # noqa: BLE001 - poke code may raise anything; it fails the try like execute
            lifecycle.handle_failure(ti, exc)
            return
        if satisfied:
            lifecycle.complete(ti, token, (True, None, None))
            return
        run_duration = (now - ti.sensor_started).total_seconds()
        timeout = sensor.timeout.total_seconds()
        if run_duration >= timeout:
            # Airflow checks `run_duration() > timeout` on a wall clock, where every poke takes some
            # time, so the poke due exactly at the timeout has always run a little past it: it is
            # the poke that times out (10,081 pokes for 7 days at 60 s). On the virtual clock the
            # poke lands exactly on the timeout, so the comparison is >= to pick that same poke.
            msg = (f"Sensor has timed out; run duration of {run_duration:.0f} seconds exceeds the specified timeout "
                   f"of {timeout:.0f} ({human_duration(timeout)})")
            lifecycle.handle_failure(ti, AirflowSkipException(msg) if sensor.soft_fail else AirflowSensorTimeout(msg))
            return
        if sensor.reschedule:
            # Airflow 3.3 resets poke_count to 1 on every reschedule-mode execution
            interval = sensor.next_poke_interval(ti.sensor_started, run_duration, 1)
            when = now + timedelta(seconds=interval)
            lifecycle.reschedule(ti, token, when, f"not yet; slot given back until {when:%Y-%m-%d %H:%M:%S}",
                                 quiet=ti.pokes > 1)
            return
        interval = sensor.next_poke_interval(ti.sensor_started, run_duration, ti.pokes)
        self.loop.arm(now + timedelta(seconds=interval), partial(self.poke, ti, token), f"poke {ti.task_id}")
