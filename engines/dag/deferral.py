"""Deferrable tasks: the triggerer side (Airflow's airflow/jobs/triggerer_job_runner.py and the
scheduler's check_trigger_timeouts).

A try that raises TaskDeferred (a sensor with `deferrable=True`) ends its worker process and
gives its worker and pool slots back: state `deferred`, and the trigger waits in the triggerer,
which holds no worker slot. When the trigger fires the same try is scheduled again and resumes
in the method it named; if its timeout passes first (a sensor's `timeout`, 7 days by default,
still applies), it resumes in "__fail__" and fails with AirflowSensorTimeout.

Where Airflow is racy: its scheduler checks trigger timeouts every 15 s (`[scheduler]
trigger_timeout_check_interval`) and a trigger fires when the triggerer's event loop gets to it,
so a trigger due at the same moment as its timeout may go either way. Here the trigger wins a
tie (an event due at or before the timeout is delivered), and a timeout fires exactly when it is
due, not up to 15 s later.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from engines.clock import as_utc
from engines.dag.errors import TaskDeferred
from engines.dag.loop import SchedulerLoop
from engines.dag.models import TaskInstance
from engines.dag.states import TI, DagRunState
from engines.dag.taskinstance import FAIL_METHOD, TaskInstanceLifecycle
from engines.trace import Severity


class Triggerer:
    """Holds deferred task instances until their trigger fires or their deferral times out."""

    def __init__(self, loop: SchedulerLoop, lifecycle: TaskInstanceLifecycle) -> None:
        self.loop = loop
        self.lifecycle = lifecycle
        self.peak = 0  # most triggers held at once
        self._held = 0

    def defer(self, ti: TaskInstance, token: int, deferred: TaskDeferred) -> None:
        """The try raised TaskDeferred: free its slots, hand its trigger to the triggerer."""
        lifecycle = self.lifecycle
        now = self.loop.now()
        fires_at = getattr(deferred.trigger, "fires_at", None)
        if fires_at is None:
            lifecycle.handle_failure(ti, TypeError(f"{deferred.trigger!r} is not a trigger this simulator can run "
                                                   "(DateTimeTrigger, TimeDeltaTrigger)"))
            return
        lifecycle.kill_process(ti, token, "deferred")
        ti.next_method = deferred.method_name
        ti.next_at = as_utc(fires_at(now))
        ti.trigger_timeout = now + deferred.timeout if deferred.timeout is not None else None
        until = f"; times out {ti.trigger_timeout:%Y-%m-%d %H:%M:%S}" if ti.trigger_timeout else ""
        lifecycle.set_state(ti, TI.DEFERRED, f"waiting in the triggerer until {ti.next_at:%Y-%m-%d %H:%M:%S}{until}; "
                            "no worker slot is held", trigger=type(deferred.trigger).__name__)
        self.arm(ti)

    def arm(self, ti: TaskInstance) -> None:
        """Timers for a deferred task instance's trigger and timeout (also after a restart)."""
        self._held += 1
        self.peak = max(self.peak, self._held)
        token = ti.token
        fires = ti.next_at or self.loop.now()
        if ti.trigger_timeout is None or fires <= ti.trigger_timeout:
            self.loop.arm(fires, partial(self._fired, ti, token), f"trigger {ti.key}")
        if ti.trigger_timeout is not None and (fires > ti.trigger_timeout):
            self.loop.arm(ti.trigger_timeout, partial(self._timed_out, ti, token), f"trigger timeout {ti.key}")

    def _resume(self, ti: TaskInstance, token: int) -> bool:
        if token != ti.token or ti.state != TI.DEFERRED or ti.run.state != DagRunState.RUNNING:
            return False
        self._held -= 1
        ti.next_at = None
        return True

    def _fired(self, ti: TaskInstance, token: int) -> None:
        if self._resume(ti, token):
            self.loop.emit("Trigger fired", ti.key, f"the trigger fired; {ti.key} is scheduled to resume in "
                           f"{ti.next_method}", run_id=ti.run_id)
            self.lifecycle.schedule(ti, new_try=False)

    def _timed_out(self, ti: TaskInstance, token: int) -> None:
        if self._resume(ti, token):
            ti.next_method = FAIL_METHOD
            self.loop.emit("Trigger timeout", ti.key, f"the deferral timed out at {_when(ti.trigger_timeout)}; "
                           "the try resumes only to fail", Severity.WARNING, run_id=ti.run_id)
            self.lifecycle.schedule(ti, new_try=False)


def _when(t: datetime | None) -> str:
    return "-" if t is None else f"{t:%Y-%m-%d %H:%M:%S}"
