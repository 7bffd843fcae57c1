"""The task-instance lifecycle (Airflow's taskinstance.py): one try from scheduled to an end state.

    none -> scheduled -> queued -> running -> success
                                       \\-> up_for_retry -> scheduled (a new try, after retry_delay)
                                       \\-> up_for_reschedule -> scheduled (the same try, later)
                                       \\-> failed / skipped

Every state change goes through `set_state`, which records it, marks the row for the commit and,
for an end state, tells the downstream task instances so their trigger rules are looked at
again. A try's worker process is identified by the task instance's `token`: killing it bumps the
token, so whatever the dead process still reports (a result, a poke) is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from engines.clock import as_utc, human_duration
from engines.dag.context import make_context
from engines.dag.dag import MAX_RETRY_DELAY, Callback
from engines.dag.errors import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
    XComError,
)
from engines.dag.loop import SchedulerLoop
from engines.dag.metadata import iso
from engines.dag.models import TaskInstance
from engines.dag.sensors import BaseSensorOperator
from engines.dag.states import FINISHED, TI, DagRunState, TaskInstanceState
from engines.dag.xcom import XCOM_RETURN_KEY, XCom
from engines.trace import Severity

#: [scheduler] task_instance_heartbeat_timeout: how long a lost worker goes unnoticed.
HEARTBEAT_TIMEOUT = timedelta(seconds=300)

#: What a try's code came back with: (True, return value) or (False, the exception it raised).
Outcome = tuple[bool, Any]


def next_retry_delay(ti: TaskInstance) -> timedelta:
    """Airflow 3.3's next_retry_datetime: retry_delay, or with a backoff multiplier
    ceil(delay * multiplier**(try_number-1)) plus a deterministic sha1 jitter, capped."""
    task = ti.operator
    delay = task.retry_delay
    m = task.retry_exponential_backoff or 1.0
    if m != 1.0 and m > 0:
        try:
            min_backoff = math.ceil(delay.total_seconds() * (m ** (ti.try_number - 1)))
        except OverflowError:
            min_backoff = int(MAX_RETRY_DELAY.total_seconds())
        min_backoff = max(min_backoff, 1)
        h = int(hashlib.sha1(f"{ti.run.dag_id}#{ti.task_id}#{ti.run.logical_date}#{ti.try_number}".encode(),
                             usedforsecurity=False).hexdigest(), 16)
        delay = timedelta(seconds=min(min_backoff + h % min_backoff, MAX_RETRY_DELAY.total_seconds()))
        if task.max_retry_delay:
            delay = min(task.max_retry_delay, delay)
    return delay


class TaskInstanceLifecycle:
    """Moves task instances through their states on the loop's clock, holding and freeing slots."""

    def __init__(self, loop: SchedulerLoop, xcom: XCom, heartbeat_timeout: timedelta = HEARTBEAT_TIMEOUT) -> None:
        self.loop = loop
        self.xcom = xcom
        self.heartbeat_timeout = heartbeat_timeout

    def context(self, ti: TaskInstance) -> dict[str, Any]:
        """What the task's code is handed for this try."""
        return make_context(self.xcom, ti, self.loop.now())

    # ------------------------------------------------------------------ state changes
    def set_state(self, ti: TaskInstance, state: TaskInstanceState, detail: str = "",
                  severity: Severity = Severity.INFO, *, end: bool = False, quiet: bool = False, **data: Any) -> None:
        """Move a task instance to `state`, record it, and tell its downstream if it is finished."""
        loop = self.loop
        ti.state = state
        run = ti.run
        run.transitions += 1
        loop.session.add(ti)
        if end:
            ti.end_date = loop.now()
            ti.next_at = None
        if not quiet:
            loop.emit(f"TaskInstance {state}", ti.task_id, detail, severity, run_id=ti.run_id,
                      try_number=ti.try_number, **data)
        if state in FINISHED:
            run.unfinished -= 1
            loop.session.add_run(run)
            if ti.task_id in run.dag.graph:
                for down in run.dag.graph.succ[ti.task_id]:
                    d = run.tis.get(down)
                    if d is not None:
                        d.counts.add(state)
                        if d.state == TI.NONE:
                            loop.consider(d)

    def schedule(self, ti: TaskInstance, *, new_try: bool) -> None:
        """Scheduled: wait in the ready queue for a slot. A new try archives the last one first."""
        if new_try:
            if ti.try_number > 0:
                self.archive_try(ti)
            ti.try_number += 1
            ti.pokes = 0
            ti.slot_seconds = 0.0
            ti.sensor_started = None
            ti.start_date = ti.end_date = None
        ti.next_at = None
        self.set_state(ti, TI.SCHEDULED, f"try {ti.try_number} of {ti.max_tries + 1}", quiet=not new_try)
        self.loop.push_ready(ti, ti.operator.priority_weight)

    def queue(self, ti: TaskInstance) -> None:
        """Queued: take a worker slot and the task's pool slots (the caller checked they are free)."""
        task = ti.operator
        executor = self.loop.executor
        executor.take(task.pool, task.pool_slots)
        ti.run.active += 1
        ti.held_since = self.loop.now()
        self.set_state(ti, TI.QUEUED, f"pool {task.pool}: {executor.pools[task.pool].open_slots} slots open after this",
                       quiet=ti.pokes > 0)

    def start(self, ti: TaskInstance) -> int:
        """Running: a worker process starts this try. Returns the process's token."""
        now = self.loop.now()
        ti.token += 1
        ti.process_alive = True
        if ti.start_date is None:
            ti.start_date = now
        task = ti.operator
        token = ti.token
        self.set_state(ti, TI.RUNNING, f"try {ti.try_number}: a worker slot is held from now", quiet=ti.pokes > 0)
        reschedules = isinstance(task, BaseSensorOperator) and task.reschedule
        if task.execution_timeout is not None and not reschedules:
            # (Airflow issue #32512: a reschedule-mode sensor's execution_timeout never fires)
            self.loop.arm(now + task.execution_timeout, partial(self.execution_timed_out, ti, token))
        return token

    def execute(self, ti: TaskInstance, token: int) -> None:
        """Run the operator's code; its outcome arrives `duration` later on the clock."""
        task = ti.operator
        try:
            outcome: Outcome = (True, task.execute(self.context(ti)))
        except Exception as exc:  # noqa: BLE001 - task code may raise anything; Airflow records it
            outcome = (False, exc)
        done = partial(self.complete, ti, token, outcome)
        if task.duration > timedelta(0):
            self.loop.arm(self.loop.now() + task.duration, done, f"{ti.task_id} done")
        else:
            self.loop.completions.append(done)

    def complete(self, ti: TaskInstance, token: int, outcome: Outcome) -> None:
        """The try's code finished: push its XCom and succeed, or handle what it raised."""
        if token != ti.token or ti.state != TI.RUNNING:
            return  # the process was killed, or the run was marked failed: its result is refused
        ok, value = outcome
        if ok:
            try:
                self.xcom.push(ti, XCOM_RETURN_KEY, value)
            except XComError as exc:
                ok, value = False, exc
        if not ok:
            if isinstance(value, AirflowRescheduleException):
                self.reschedule(ti, token, value.reschedule_date,
                                f"AirflowRescheduleException: slot given back until {_when(value.reschedule_date)}")
                return
            self.handle_failure(ti, value)
            return
        self.release(ti)
        ti.process_alive = False
        detail = "done" if value is None else f"returned {_short(value)} (XCom return_value)"
        self.set_state(ti, TI.SUCCESS, detail, end=True)
        self._callback(ti, "on_success_callback", ti.task.on_success_callback if ti.task else None)

    def handle_failure(self, ti: TaskInstance, exc: BaseException) -> None:
        """A try ended in an exception: skip, fail for good, or go up_for_retry (Airflow's handle_failure)."""
        self.release(ti)
        ti.process_alive = False
        name = type(exc).__name__
        if isinstance(exc, AirflowSkipException):
            self.set_state(ti, TI.SKIPPED, f"{name}: {exc}", end=True)
            return
        terminal = isinstance(exc, (AirflowFailException, AirflowSensorTimeout, AirflowTaskTerminated))
        if terminal or ti.try_number > ti.max_tries:
            why = "never retried" if terminal else f"no retries left ({ti.max_tries} allowed)"
            self.set_state(ti, TI.FAILED, f"{name}: {exc} ({why})", Severity.ERROR, end=True, error=name)
            self._callback(ti, "on_failure_callback", ti.task.on_failure_callback if ti.task else None, exc)
            return
        now = self.loop.now()
        delay = next_retry_delay(ti)
        ti.end_date = now
        ti.next_at = now + delay
        self.set_state(ti, TI.UP_FOR_RETRY, f"{name}: {exc}; try {ti.try_number + 1} in {human_duration(delay.total_seconds())}",
                       Severity.WARNING, error=name, retry_at=ti.next_at.isoformat())
        self.loop.arm(ti.next_at, partial(self.retry_due, ti, ti.token))

    def retry_due(self, ti: TaskInstance, token: int) -> None:
        """retry_delay has passed: a new try is scheduled (if nothing else happened meanwhile)."""
        if ti.state == TI.UP_FOR_RETRY and ti.token == token and ti.run.state == DagRunState.RUNNING:
            self.schedule(ti, new_try=True)

    def reschedule(self, ti: TaskInstance, token: int, when: datetime, detail: str, *, quiet: bool = False) -> None:
        """up_for_reschedule (Airflow's _handle_reschedule): the process ends and gives its slot back,
        a task_reschedule row is written, and the same try is scheduled again at `when`."""
        when = as_utc(when)
        start = ti.held_since or self.loop.now()
        self.kill_process(ti, token, "reschedule")
        ti.next_at = when
        run_id, task_id, try_number = ti.run_id, ti.task_id, ti.try_number
        self.loop.session.defer(lambda meta: meta.add_reschedule(run_id, task_id, try_number, start, when))
        self.set_state(ti, TI.UP_FOR_RESCHEDULE, detail, quiet=quiet)
        self.loop.arm(when, partial(self.reschedule_due, ti, ti.token))

    def reschedule_due(self, ti: TaskInstance, token: int) -> None:
        """The reschedule date has come: the same try is scheduled again."""
        if ti.state == TI.UP_FOR_RESCHEDULE and ti.token == token and ti.run.state == DagRunState.RUNNING:
            self.schedule(ti, new_try=False)

    # ------------------------------------------------------------------ timeouts and lost workers
    def execution_timed_out(self, ti: TaskInstance, token: int) -> None:
        """execution_timeout passed with the try still running: kill it; it fails (and may retry)."""
        if token == ti.token and ti.state == TI.RUNNING and ti.process_alive:
            self.kill_process(ti, token, "execution_timeout")
            self.handle_failure(ti, AirflowTaskTimeout(f"execution_timeout of {ti.operator.execution_timeout} exceeded"))

    def arm_heartbeat_timeout(self, ti: TaskInstance) -> None:
        """The worker is gone: the scheduler notices when the heartbeat timeout has passed."""
        self.loop.arm(self.loop.now() + self.heartbeat_timeout, partial(self.heartbeat_timed_out, ti, ti.token))

    def heartbeat_timed_out(self, ti: TaskInstance, token: int) -> None:
        if token == ti.token and ti.state == TI.RUNNING and not ti.process_alive:
            self.loop.emit("TaskInstance heartbeat timeout", ti.task_id,
                           f"no heartbeat from {ti.task_id} for {int(self.heartbeat_timeout.total_seconds())} s: "
                           "the scheduler fails this try (a retry starts from scratch; nothing is replayed)",
                           Severity.WARNING, run_id=ti.run_id, try_number=ti.try_number)
            self.handle_failure(ti, AirflowException("task instance heartbeat timed out: its worker is gone"))

    def kill_process(self, ti: TaskInstance, token: int, why: str) -> None:
        """The worker process of this try ends now: its slot comes back, its late results are refused."""
        if token != ti.token or not ti.process_alive:
            return
        ti.token += 1
        ti.process_alive = False
        self.release(ti)

    def release(self, ti: TaskInstance) -> None:
        """Give back the worker slot and pool slots this try holds, counting the slot-seconds."""
        if ti.held_since is None:
            return
        loop = self.loop
        ti.slot_seconds += (loop.now() - ti.held_since).total_seconds()
        ti.held_since = None
        loop.executor.give_back(ti.task.pool if ti.task else ti.pool, ti.task.pool_slots if ti.task else 1)
        ti.run.active -= 1
        loop.queue_dirty = True
        loop.session.add(ti)

    # ------------------------------------------------------------------ history and callbacks
    def archive_try(self, ti: TaskInstance) -> None:
        """Keep the finished try as a grid row (Airflow 3's task_instance_history)."""
        row = {"task_id": ti.task_id, "try_number": ti.try_number, "state": ti.state, "start": ti.start_date,
               "end": ti.end_date, "slot_seconds": ti.slot_seconds, "pokes": ti.pokes}
        self.loop.history.setdefault(ti.run_id, []).append(row)
        values = (ti.run_id, ti.task_id, ti.try_number, ti.state, iso(ti.start_date), iso(ti.end_date),
                  ti.slot_seconds, ti.pokes)
        self.loop.session.defer(lambda meta: meta.add_history([values]))

    def _callback(self, ti: TaskInstance, name: str, fn: Callback | None, exc: BaseException | None = None) -> None:
        if fn is None:
            return
        ctx = self.context(ti)
        if exc is not None:
            ctx["exception"] = exc
        try:
            fn(ctx)
        except Exception as err:  # noqa: BLE001 - a failing callback is logged, never fatal (as in Airflow)
            self.loop.emit("Callback failed", ti.task_id, f"{name} raised {type(err).__name__}: {err}", Severity.WARNING)


def live_slot_seconds(ti: TaskInstance, now: datetime) -> float:
    """Slot-seconds of the current try, counting a slot still held up to `now`."""
    held = (now - ti.held_since).total_seconds() if ti.held_since is not None else 0.0
    return ti.slot_seconds + held


def _when(t: datetime) -> str:
    return f"{as_utc(t):%Y-%m-%d %H:%M:%S}"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
