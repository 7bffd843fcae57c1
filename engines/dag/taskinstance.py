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
from typing import Any, Callable

from engines.clock import as_utc, human_duration
from engines.dag.context import make_context, reset_current_context, set_current_context
from engines.dag.dag import MAX_RETRY_DELAY, BaseOperator, Callback
from engines.dag.errors import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
    DownstreamTasksSkipped,
    TaskDeferralTimeout,
    TaskDeferred,
)
from engines.dag.loop import SchedulerLoop
from engines.dag.mapping import (
    UnmappableXComTypePushed,
    XComForMappingNotPushed,
    expand_value_at,
    has_mapped_dependants,
    is_mappable_value,
    unmap,
)
from engines.dag.metadata import iso
from engines.dag.models import TaskInstance
from engines.dag.sensors import BaseSensorOperator
from engines.dag.states import FINISHED, TI, DagRunState, TaskInstanceState
from engines.dag.templating import render_template_fields
from engines.dag.xcom import XCOM_RETURN_KEY, XCom
from engines.trace import Severity

#: [scheduler] task_instance_heartbeat_timeout: how long a lost worker goes unnoticed.
HEARTBEAT_TIMEOUT = timedelta(seconds=300)

#: What a try's code came back with: (True, return value, the operator that ran) or (False, the
#: exception it raised, None).
Outcome = tuple[bool, Any, Any]
#: The next_method of a deferred try whose deferral timed out (Airflow's "__fail__").
FAIL_METHOD = "__fail__"


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
        #: Set by the scheduler: a try raised TaskDeferred (deferral.py takes it from there).
        self.on_deferred: Callable[[TaskInstance, int, TaskDeferred], None] | None = None

    def context(self, ti: TaskInstance) -> dict[str, Any]:
        """What the task's code is handed for this try."""
        return make_context(self.xcom, ti, self.loop.now())

    # ------------------------------------------------------------------ state changes
    def set_state(self, ti: TaskInstance, state: TaskInstanceState, detail: str = "",
                  severity: Severity = Severity.INFO, *, end: bool = False, quiet: bool = False, settled: bool = False,
                  **data: Any) -> None:
        """Move a task instance to `state`, record it, and tell its downstream if it is finished.

        A change a worker or a user could observe (anything but scheduled and queued, which only
        the scheduler's own queue knows) is committed at once, in its own transaction, as
        Airflow's API server commits each state a worker reports: a try is on file as running
        before its code runs, and as finished before anything downstream starts.

        `settled`: the scheduler decided this state by a trigger rule without running the task.
        Its downstream learn of it in the next scheduling pass, as in Airflow, whose pass works
        from one snapshot of the finished task instances. This decides the race the issue names:
        an all_success task whose upstream end skipped (settled by a rule) and failed (a try that
        ran in the same pass) becomes upstream_failed, as under Airflow's scheduler and
        `dag.test()`, rather than skipped by whichever was looked at first."""
        loop = self.loop
        was = ti.state
        ti.state = state
        run = ti.run
        run.transitions += 1
        loop.session.add(ti)
        if end:
            ti.end_date = loop.now()
            ti.next_at = None
        if state in FINISHED:
            if was not in FINISHED:
                run.unfinished -= 1
            loop.session.add_run(run)
            if settled:
                loop.next_pass.append(partial(self._tell_downstream, ti, was, state))
            else:
                self._tell_downstream(ti, was, state)
        if state not in (TI.SCHEDULED, TI.QUEUED):
            loop.checkpoint()
        if not quiet:
            loop.emit(f"TaskInstance {state}", ti.key, detail, severity, run_id=ti.run_id,
                      try_number=ti.try_number, **data)

    def _tell_downstream(self, ti: TaskInstance, was: TaskInstanceState, state: TaskInstanceState) -> None:
        """Count a finished task instance in its downstream's upstream counts and look at them again."""
        run = ti.run
        loop = self.loop
        if state in FINISHED:
            is_setup = ti.task is not None and ti.task.is_setup
            if was in FINISHED:  # a finished one re-marked (a branch skipping an upstream_failed task)
                for down in run.dag.graph.succ.get(ti.task_id, ()):
                    for d in run.task_tis(down):
                        d.counts.remove(was, is_setup)
            if ti.task_id in run.dag.graph:
                for down in run.dag.graph.succ[ti.task_id]:
                    for d in run.task_tis(down):
                        d.counts.add(state, is_setup)
                        if d.state == TI.NONE:
                            loop.consider(d)
                for td in run.dag.teardowns_watching(ti.task_id):
                    for d in run.task_tis(td):
                        if d.state == TI.NONE:
                            loop.consider(d)
            if ti.task is not None and ti.task.depends_on_past:
                self._next_run_may_look(ti)

    def _next_run_may_look(self, ti: TaskInstance) -> None:
        """depends_on_past: this task instance finished, so the same one of the next run may look again."""
        nxt = None
        for r in self.loop.runs.values():
            if r.dag_id == ti.run.dag_id and r.logical_date > ti.run.logical_date:
                if nxt is None or r.logical_date < nxt.logical_date:
                    nxt = r
        d = nxt.tis.get(ti.key) if nxt is not None else None
        if d is not None and d.state == TI.NONE:
            self.loop.consider(d)

    def schedule(self, ti: TaskInstance, *, new_try: bool) -> None:
        """Scheduled: wait in the ready queue for a slot. A new try archives the last one first."""
        if new_try:
            if ti.try_number > 0:
                self.archive_try(ti)
            ti.try_number += 1
            ti.pokes = 0
            ti.slot_seconds = 0.0
            ti.sensor_started = None
            ti.next_method = None
            ti.trigger_timeout = None
            ti.start_date = ti.end_date = None
        ti.next_at = None
        self.set_state(ti, TI.SCHEDULED, f"try {ti.try_number} of {ti.max_tries + 1}", quiet=not new_try)
        self.loop.push_ready(ti, ti.run.dag.priority_weight_total(ti.task_id))

    def queue(self, ti: TaskInstance) -> None:
        """Queued: take a worker slot and the task's pool slots (the caller checked they are free)."""
        task = ti.operator
        executor = self.loop.executor
        executor.take(task.pool, task.pool_slots)
        ti.run.active += 1
        ti.held_since = self.loop.now()
        self.set_state(ti, TI.QUEUED, f"pool {task.pool}: {executor.pools[task.pool].open_slots} slots open after this",
                       quiet=ti.pokes > 0 or ti.next_method is not None)

    def start(self, ti: TaskInstance) -> int:
        """Running: a worker process starts this try (or resumes it). Returns the process's token."""
        now = self.loop.now()
        ti.token += 1
        ti.process_alive = True
        if ti.start_date is None:
            ti.start_date = now
            if ti.try_number > 1:
                self.xcom.clear(ti)  # a new try starts without the last try's XComs, as in Airflow
        task = ti.operator
        token = ti.token
        resumed = ti.next_method is not None
        self.set_state(ti, TI.RUNNING, "resumed after its trigger" if resumed else
                       f"try {ti.try_number}: a worker slot is held from now", quiet=ti.pokes > 0)
        reschedules = isinstance(task, BaseSensorOperator) and task.reschedule
        if task.execution_timeout is not None and not reschedules:
            # (Airflow issue #32512: a reschedule-mode sensor's execution_timeout never fires)
            self.loop.arm(now + task.execution_timeout, partial(self.execution_timed_out, ti, token))
        return token

    def prepare(self, ti: TaskInstance, context: dict[str, Any]) -> BaseOperator:
        """The operator this try runs: a mapped task with its map index's arguments filled in, and
        its template fields rendered (templating.py)."""
        task = ti.operator
        if task.is_mapped and ti.map_index >= 0:
            values = expand_value_at(task, lambda arg: arg.resolve(context), ti.map_index)
            if values is None:
                raise AirflowException(f"map index {ti.map_index} is gone: the mapped input has fewer values")
            task = unmap(task, values)
        op = render_template_fields(task, context)
        context["task"] = op
        return op

    def execute(self, ti: TaskInstance, token: int) -> None:
        """Run the operator's code; its outcome arrives `duration` later on the clock."""
        task = ti.operator
        context = self.context(ti)
        reset = set_current_context(context)
        try:
            op = self.prepare(ti, context)
            if ti.next_method is not None:
                outcome: Outcome = (True, self._resume(ti, op, context), op)
            else:
                outcome = (True, op.execute(context), op)
        except Exception as exc:  # noqa: BLE001 - task code may raise anything; Airflow records it
            outcome = (False, exc, None)
        finally:
            reset_current_context(reset)
        done = partial(self.complete, ti, token, outcome)
        if task.duration > timedelta(0):
            self.loop.arm(self.loop.now() + task.duration, done, f"{ti.task_id} done")
        else:
            self.loop.completions.append(done)

    def _resume(self, ti: TaskInstance, op: BaseOperator, context: dict[str, Any]) -> Any:
        """A deferred try continues: its trigger fired (the method it named), or it timed out."""
        method, ti.next_method = ti.next_method, None
        if method == FAIL_METHOD:
            error = TaskDeferralTimeout(f"the trigger did not fire within the task's deferral timeout")
            if isinstance(op, BaseSensorOperator):
                raise AirflowSensorTimeout(f"Sensor has timed out: {error}")
            raise error
        return getattr(op, method or "execute")(context, event=None)

    def push_return(self, ti: TaskInstance, op: BaseOperator, result: Any) -> None:
        """Airflow's _push_xcom_if_needed: the return value (and, with multiple_outputs, each key of
        it); a task a mapped task expands over must return a list or dict."""
        value = result if op.do_xcom_push else None
        feeds_mapping = not op.is_mapped and has_mapped_dependants(op)
        if value is None:
            if feeds_mapping:
                raise XComForMappingNotPushed()
            return
        if feeds_mapping and not is_mappable_value(value):
            raise UnmappableXComTypePushed(f"unmappable return type {type(value).__qualname__!r}")
        if op.multiple_outputs:
            if not isinstance(value, dict):
                raise TypeError(f"Returned output was type {type(value)} expected dictionary for multiple_outputs")
            for k in value:
                if not isinstance(k, str):
                    raise TypeError(f"Returned dictionary keys must be strings when using multiple_outputs, "
                                    f"found {k} ({type(k)}) instead")
            for k, v in value.items():
                self.xcom.push(ti, k, v)
        self.xcom.push(ti, XCOM_RETURN_KEY, value)

    def complete(self, ti: TaskInstance, token: int, outcome: Outcome) -> None:
        """The try's code finished: push its XCom and succeed, or handle what it raised."""
        if token != ti.token or ti.state != TI.RUNNING:
            return  # the process was killed, or the run was marked failed: its result is refused
        ok, value, op = outcome
        skipped: list[str] = []
        if ok:
            try:
                self.push_return(ti, op or ti.operator, value)
            except Exception as exc:  # noqa: BLE001 - what serde or mapping refuses fails the try, as in Airflow
                ok, value = False, exc
        elif isinstance(value, DownstreamTasksSkipped):
            ok, skipped, value = True, value.tasks, None
        if not ok:
            if isinstance(value, AirflowRescheduleException):
                self.reschedule(ti, token, value.reschedule_date,
                                f"AirflowRescheduleException: slot given back until {_when(value.reschedule_date)}")
                return
            if isinstance(value, TaskDeferred) and self.on_deferred is not None:
                self.on_deferred(ti, token, value)
                return
            self.handle_failure(ti, value)
            return
        if skipped:
            self.skip_downstream(ti, skipped)
        self.release(ti)
        ti.process_alive = False
        detail = "done" if value is None else f"returned {_short(value)} (XCom return_value)"
        if skipped:
            detail += f"; skipped {', '.join(skipped)}"
        self.set_state(ti, TI.SUCCESS, detail, end=True)
        self._callback(ti, "on_success_callback", ti.task.on_success_callback if ti.task else None)

    def skip_downstream(self, ti: TaskInstance, task_ids: list[str]) -> None:
        """Set the named tasks' task instances skipped, except those running or finished as success
        or failed (Airflow's ti_skip_downstream sets map index -1; the instances of a mapped task
        expanded already are skipped by its NotPreviouslySkippedDep, which comes to the same)."""
        run = ti.run
        for tid in task_ids:
            for d in list(run.task_tis(tid)):
                if d.state in (TI.RUNNING, TI.SUCCESS, TI.FAILED, TI.SKIPPED):
                    continue
                d.token += 1  # a pending retry, reschedule or trigger of it is void
                self.release(d)  # a queued one gives back the slot it was about to use
                self.set_state(d, TI.SKIPPED, f"skipped by {ti.task_id}", end=True)

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
        if delay <= timedelta(0):
            # due now: the scheduling pass that saw the failure schedules it (Airflow's next loop
            # finds it past its retry period), not a later pass
            self.loop.completions.append(partial(self.retry_due, ti, ti.token))
        else:
            self.loop.arm(ti.next_at, partial(self.retry_due, ti, ti.token))
        self._callback(ti, "on_retry_callback", ti.task.on_retry_callback if ti.task else None, exc)

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
        map_index = ti.map_index
        self.loop.session.defer(lambda meta: meta.add_reschedule(run_id, task_id, try_number, start, when, map_index))
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
        row = {"task_id": ti.task_id, "map_index": ti.map_index, "try_number": ti.try_number, "state": ti.state,
               "start": ti.start_date, "end": ti.end_date, "slot_seconds": ti.slot_seconds, "pokes": ti.pokes}
        self.loop.history.setdefault(ti.run_id, []).append(row)
        values = (ti.run_id, ti.task_id, ti.try_number, ti.state, iso(ti.start_date), iso(ti.end_date),
                  ti.slot_seconds, ti.pokes, ti.map_index)
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
