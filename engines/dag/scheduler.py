"""The scheduler and its executor on the shared clock: DAG runs, task instances, slots, sensors.

Everything happens on a clock (virtual in demos and tests): a task's result arrives `duration`
after it starts, a retry waits its `retry_delay`, a poke-mode sensor pokes every
`poke_interval` while holding its worker slot. Each time something happens the scheduler makes
one pass (like Airflow's scheduling loop): settle task instances whose upstream changed, queue
what may run within parallelism and pools, start it, and commit the changes to the metadata
database in one transaction. A new Scheduler on the same database file continues where the last
one stopped.

What a DAG cannot do is on purpose visible here: a sensor's wait is slot-seconds, and the only
"cancel" is `mark_dag_run_failed`, a state flip that no task code ever hears about.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import math
from collections import deque
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

from engines.clock import Clock, VirtualClock, day_of, human_duration
from engines.dag.context import TaskInstanceContext, make_context
from engines.dag.dag import DAG, MAX_RETRY_DELAY
from engines.dag.errors import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
    DagError,
    DagNotFound,
    DagRunNotFound,
    XComError,
)
from engines.dag.executor import DEFAULT_PARALLELISM, Executor
from engines.dag.metadata import MetadataDB
from engines.dag.models import DagRun, TaskInstance
from engines.dag.schedules import timetable_for
from engines.dag.states import FINISHED, TI, DagRunState
from engines.dag.trigger_rules import RUN, WAIT, UpstreamCounts, evaluate
from engines.store import Store
from engines.trace import Severity, TraceRecorder

#: [scheduler] task_instance_heartbeat_timeout: how long a lost worker goes unnoticed.
HEARTBEAT_TIMEOUT = timedelta(seconds=300)
#: [workers] min_heartbeat_interval: a mark-failed reaches the worker's supervisor this late.
HEARTBEAT_INTERVAL = timedelta(seconds=5)
#: The supervisor's SIGTERM → SIGKILL escalation delay.
KILL_ESCALATION = timedelta(seconds=5)
#: XCom is for small values; Airflow keeps it in the metadata database.
MAX_XCOM_BYTES = 48 * 1024
NO_ACTOR = "no running actor to receive it"


class Scheduler:
    """An Airflow-style scheduler + executor over one metadata database and one clock."""

    def __init__(
        self,
        dags: Iterable[DAG] = (),
        *,
        clock: Clock | None = None,
        db: str | Path | Store = ":memory:",
        parallelism: int = DEFAULT_PARALLELISM,
        pools: dict[str, int] | None = None,
        listener: Callable | None = None,
        versioned_bundle: bool = False,
        heartbeat_timeout: timedelta = HEARTBEAT_TIMEOUT,
        trace: TraceRecorder | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.meta = MetadataDB(db)
        self.trace = trace if trace is not None else TraceRecorder("dag", listener)
        self.executor = Executor(parallelism)
        for name, slots in (pools or {}).items():
            self.executor.set_pool(name, slots)
        self.versioned_bundle = versioned_bundle
        self.heartbeat_timeout = heartbeat_timeout
        self.dags: dict[str, DAG] = {}
        self.versions: dict[str, int] = {}
        self.runs: dict[str, DagRun] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.xcom: dict[tuple[str, str, str], Any] = {}
        self.total_pokes = 0
        self._candidates: dict[TaskInstance, None] = {}
        self._completions: deque[Callable[[], None]] = deque()
        self._ready: list[tuple[int, int, TaskInstance]] = []
        self._seq = itertools.count()
        self._queue_dirty = False
        self._dirty_tis: dict[TaskInstance, None] = {}
        self._dirty_runs: dict[DagRun, None] = {}
        self._writes: list[Callable[[], None]] = []
        self._pumping = False
        self._schedule_timers: dict[str, Any] = {}
        saved = self.meta.saved_now()
        if saved is not None and hasattr(self.clock, "set"):
            self.clock.set(saved)  # continue the timeline the last scheduler reached
        for dag in dags:
            self.add_dag(dag, _load=False)
        self._load()
        self._pump()

    # ================================================================ public API
    def now(self) -> datetime:
        return self.clock.now()

    def add_dag(self, dag: DAG, *, _load: bool = True) -> int:
        """Register a DAG (its file was parsed): refuses cycles, records a DAG version, arms its schedule."""
        dag.check_cycle()
        self.dags[dag.dag_id] = dag
        version = self._record_version(dag)
        self._arm_schedule(dag)
        if _load:
            self._pump()
        return version

    def set_pool(self, name: str, slots: int) -> None:
        """Create or resize a pool (`airflow pools set NAME SLOTS`)."""
        self.executor.set_pool(name, slots)
        self._queue_dirty = True
        self._pump()

    def trigger_dag(self, dag_id: str, *, conf: dict[str, Any] | None = None, run_id: str | None = None) -> DagRun:
        """A manual DAG run starting now (`airflow dags trigger`)."""
        dag = self._dag(dag_id)
        run = self._create_run(dag, "manual", self.now(), conf or {}, run_id)
        self._pump()
        return run

    def advance(self, delta: timedelta) -> None:
        """Let `delta` of clock time pass; everything due on the way happens at its own time."""
        self.clock.advance(delta)
        self._pump(force_flush=True)

    def advance_to(self, t: datetime) -> None:
        self.clock.advance_to(t)
        self._pump(force_flush=True)

    def step(self) -> None:
        """Run whatever is due now (a zero-length advance)."""
        self.advance(timedelta(0))

    def run_until_idle(self, until: datetime | None = None, max_steps: int = 10_000_000) -> None:
        """Jump from due time to due time until nothing is left (or the next is after `until`)."""
        steps = 0
        while steps < max_steps:
            due = self.clock.next_due()
            if due is None or (until is not None and due > until):
                break
            self.clock.advance_to(max(due, self.now()))
            steps += 1
        if until is not None and until > self.now():
            self.clock.advance_to(until)
        self._pump(force_flush=True)

    def run_until_done(self, run_id: str, until: datetime | None = None) -> DagRun:
        """Jump the clock until this DAG run has finished (or nothing is left to happen)."""
        run = self.dag_run(run_id)
        while not run.finished:
            due = self.clock.next_due()
            if due is None or (until is not None and due > until):
                break
            self.clock.advance_to(max(due, self.now()))
        self._pump(force_flush=True)
        return run

    def test(self, dag_id: str, *, conf: dict[str, Any] | None = None, until: datetime | None = None) -> DagRun:
        """One DAG run to completion on the clock, like `airflow dags test`."""
        return self.run_until_done(self.trigger_dag(dag_id, conf=conf).run_id, until)

    def dag_run(self, run_id: str | None = None) -> DagRun:
        """A DAG run by id; without an id, the newest."""
        if run_id is None:
            if not self.runs:
                raise DagRunNotFound("there is no DAG run yet")
            return list(self.runs.values())[-1]
        try:
            return self.runs[run_id]
        except KeyError:
            raise DagRunNotFound(f"no DAG run {run_id!r}; runs: {', '.join(self.runs) or 'none'}") from None

    def task_instance(self, run_id: str, task_id: str) -> TaskInstance:
        run = self.dag_run(run_id)
        try:
            return run.tis[task_id]
        except KeyError:
            raise DagError(f"DAG run {run_id}: no task instance {task_id!r}") from None

    def grid(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """The task-instance grid: one row per task and try (task × state × try × start/end)."""
        run = self.dag_run(run_id)
        order = _order(run)
        past: dict[str, list[dict[str, Any]]] = {}
        for h in self.history.get(run.run_id, []):
            past.setdefault(h["task_id"], []).append(h)
        rows = []
        for task_id in order:
            ti = run.tis[task_id]
            for h in past.get(task_id, []):
                if h["try_number"] != ti.try_number:
                    rows.append(dict(h))
            rows.append({"task_id": task_id, "try_number": ti.try_number, "state": ti.state,
                         "start": ti.start_date, "end": ti.end_date, "slot_seconds": self._live_slot_seconds(ti),
                         "pokes": ti.pokes})
        return rows

    def slot_seconds(self, run_id: str | None = None) -> dict[str, float]:
        """Worker-slot seconds held per task (all tries), up to now."""
        run = self.dag_run(run_id)
        out = {tid: 0.0 for tid in _order(run)}
        for row in self.grid(run.run_id):
            out[row["task_id"]] += row["slot_seconds"]
        return out

    def xcom_pull(self, run_id: str, task_id: str, key: str = "return_value", default: Any = None) -> Any:
        return self.xcom.get((run_id, task_id, key), default)

    def mark_dag_run_failed(self, run_id: str) -> list[str]:
        """Airflow's only "cancel": flip the run to failed in the metadata database.

        Running (and up_for_reschedule) task instances become failed and their processes are
        killed when the worker's next heartbeat learns of it; every other unfinished one becomes
        skipped, so nothing downstream runs, not even a compensation task. No message reaches
        task code and on_failure_callback is not called. Returns the tasks that were killed.
        """
        run = self.dag_run(run_id)
        if run.finished:
            raise DagError(f"DAG run {run_id} has already finished ({run.state}); there is nothing to mark failed")
        now = self.now()
        killed = []
        for ti in run.tis.values():
            if ti.state in (TI.RUNNING, TI.UP_FOR_RESCHEDULE, TI.QUEUED):
                was = ti.state
                self._set(ti, TI.FAILED, "forcefully terminated: the DAG run was marked failed; the task code was told nothing",
                          Severity.WARNING, end=True, was=was)
                killed.append(ti.task_id)
                if ti.process_alive:
                    self._arm(now + HEARTBEAT_INTERVAL + KILL_ESCALATION, partial(self._kill_process, ti, ti.token,
                              "SIGTERM at the next heartbeat (HTTP 409), SIGKILL 5 s later"))
            elif ti.state not in FINISHED:
                self._set(ti, TI.SKIPPED, "skipped: the DAG run was marked failed", end=True)
        run.state = DagRunState.FAILED
        run.end_date = now
        run.note = "marked failed"
        self._dirty_runs[run] = None
        self._cancel_timeout(run)
        self._emit("DagRun marked failed", run.run_id,
                   f"Airflow's only cancel: a state flip in the metadata database; {NO_ACTOR}. "
                   f"Killed: {', '.join(killed) or 'nothing was running'}; everything not yet run is skipped, "
                   f"nothing compensates unless it was modelled as a task (and mark-failed skips that too).",
                   Severity.WARNING, run_id=run.run_id, killed=killed)
        self._pump(force_flush=True)
        return killed

    def kill_worker(self, run_id: str | None = None, task_id: str | None = None) -> list[str]:
        """Kill the worker process(es) running task instances (a crash). The metadata still says
        running until the scheduler misses the heartbeat; then the try fails and, with retries
        left, the task runs again from scratch: at-least-once, no replay."""
        killed = []
        for run in list(self.runs.values()):
            if run_id is not None and run.run_id != run_id:
                continue
            for ti in run.tis.values():
                if ti.process_alive and (task_id is None or ti.task_id == task_id):
                    token = ti.token
                    self._kill_process(ti, token, "worker killed")
                    killed.append(ti.task_id)
                    self._emit("Worker killed", ti.task_id,
                               f"the worker running {ti.task_id} (try {ti.try_number}) died; the metadata still says "
                               f"running until the heartbeat times out ({int(self.heartbeat_timeout.total_seconds())} s)",
                               Severity.WARNING, run_id=ti.run_id, try_number=ti.try_number)
                    self._arm(self.now() + self.heartbeat_timeout, partial(self._heartbeat_timeout, ti, ti.token))
        self._pump(force_flush=True)
        return killed

    def deploy(self, dag: DAG) -> int:
        """A new DAG file is parsed while runs are in flight (Airflow 3 DAG versioning).

        A changed structure makes a new DAG version. With an unversioned bundle (Airflow's
        default LocalDagBundle) running DAG runs move to the latest version: new tasks get task
        instances, tasks gone from the file become `removed`. With a versioned bundle (e.g. Git)
        a run finishes on the version it started with.
        """
        old_version = self.versions.get(dag.dag_id)
        version = self.add_dag(dag, _load=False)
        if version != old_version:
            for run in self.runs.values():
                if run.dag_id != dag.dag_id or run.finished:
                    continue
                if self.versioned_bundle:
                    self._emit("DagRun keeps its version", run.run_id,
                               f"versioned bundle: this run finishes on v{run.dag_version}; v{version} applies to new runs",
                               run_id=run.run_id)
                else:
                    self._verify_integrity(run, dag, version)
        self._pump(force_flush=True)
        return version

    def pokes(self, run_id: str | None = None) -> dict[str, int]:
        """Pokes per sensor task (all tries) in a run."""
        out: dict[str, int] = {}
        for row in self.grid(run_id):
            if row["pokes"]:
                out[row["task_id"]] = out.get(row["task_id"], 0) + row["pokes"]
        return out

    def close(self) -> None:
        self._pump(force_flush=True)
        self.meta.close()

    # ================================================================ DAGs, versions, schedules
    def _dag(self, dag_id: str) -> DAG:
        try:
            return self.dags[dag_id]
        except KeyError:
            raise DagNotFound(f"no DAG {dag_id!r}; DAGs: {', '.join(self.dags) or 'none'}") from None

    def _record_version(self, dag: DAG) -> int:
        digest = dag.version_hash()
        known = self.meta.dag_versions(dag.dag_id)
        if known and known[-1][1] == digest:
            self.versions[dag.dag_id] = known[-1][0]
            return known[-1][0]
        number = known[-1][0] + 1 if known else 1
        at = self.now()
        self._writes.append(lambda: self.meta.add_dag_version(dag.dag_id, number, digest, at))
        self.versions[dag.dag_id] = number
        self._emit("DagVersion created", dag.dag_id, f"{dag.dag_id} v{number} ({len(dag.task_dict)} tasks)",
                   version=number, hash=digest)
        self._force_flush = True
        return number

    def _arm_schedule(self, dag: DAG, last: datetime | None = None) -> None:
        timer = self._schedule_timers.pop(dag.dag_id, None)
        if timer is not None:
            timer.cancel()
        tt = timetable_for(dag.schedule, where=f"DAG {dag.dag_id}")
        if tt is None:
            return
        if last is None:
            last = self.meta.schedule_of(dag.dag_id)
        nxt = tt.next_run_after(last=last, start_date=dag.start_date, catchup=dag.catchup, now=self.now())
        if nxt is None:
            return
        self._schedule_timers[dag.dag_id] = self.clock.call_at(
            nxt, lambda _t: self._enqueue(partial(self._scheduled_run_due, dag.dag_id, nxt)), f"schedule {dag.dag_id}")

    def _scheduled_run_due(self, dag_id: str, run_after: datetime) -> None:
        dag = self.dags.get(dag_id)
        if dag is None:
            return
        self._create_run(dag, "scheduled", run_after, {}, None)
        self._writes.append(lambda: self.meta.set_schedule(dag_id, run_after, None))
        self._arm_schedule(dag, last=run_after)

    # ================================================================ runs
    def _create_run(self, dag: DAG, run_type: str, logical_date: datetime, conf: dict, run_id: str | None) -> DagRun:
        for task in dag.task_dict.values():
            self.executor.pool(task.pool, f"DAG {dag.dag_id}, task {task.task_id}")
        base = run_id or f"{run_type}__{logical_date.isoformat()}"
        run_id = base
        n = 1
        while run_id in self.runs:
            n += 1
            run_id = f"{base}.{n}"
        run = DagRun(run_id, dag.dag_id, run_type, DagRunState.RUNNING, logical_date, self.now(),
                     dag_version=self.versions[dag.dag_id], conf=dict(conf), dag=dag)
        self.runs[run_id] = run
        self.history[run_id] = []
        for task in dag.task_dict.values():
            self._new_ti(run, task)
        for ti in run.tis.values():
            ti.counts = UpstreamCounts(total=len(dag.graph.pred[ti.task_id]))
            self._candidates[ti] = None
        self._dirty_runs[run] = None
        self._emit("DagRun created", run_id,
                   f"{run_type} run of {dag.dag_id} v{run.dag_version}, logical date {logical_date:%Y-%m-%d %H:%M}",
                   run_id=run_id, dag_id=dag.dag_id, run_type=run_type, logical_date=logical_date.isoformat())
        self._arm_run_timeout(run)
        return run

    def _new_ti(self, run: DagRun, task) -> TaskInstance:
        ti = TaskInstance(run.run_id, task.task_id, max_tries=task.retries, pool=task.pool, dag_version=run.dag_version,
                          run=run, task=task)
        run.tis[task.task_id] = ti
        run.unfinished += 1
        self._dirty_tis[ti] = None
        return ti

    def _arm_run_timeout(self, run: DagRun) -> None:
        timeout = run.dag.dagrun_timeout if run.dag else None
        if timeout is not None and run.start_date is not None:
            run.timeout_timer = self._arm(run.start_date + timeout, partial(self._run_timed_out, run))

    def _cancel_timeout(self, run: DagRun) -> None:
        if run.timeout_timer is not None:
            run.timeout_timer.cancel()
            run.timeout_timer = None

    def _run_timed_out(self, run: DagRun) -> None:
        if run.finished:
            return
        for ti in run.tis.values():
            if ti.state not in FINISHED:
                if ti.process_alive:
                    self._kill_process(ti, ti.token, "dagrun_timeout")
                self._set(ti, TI.SKIPPED, "skipped: the DAG run hit its dagrun_timeout", end=True)
        run.state = DagRunState.FAILED
        run.end_date = self.now()
        run.note = "dagrun_timeout"
        self._dirty_runs[run] = None
        self._emit("DagRun failed", run.run_id, f"dagrun_timeout of {run.dag.dagrun_timeout} exceeded; unfinished tasks skipped",
                   Severity.ERROR, run_id=run.run_id, reason="timed_out")

    def _finish_runs(self) -> None:
        for run in list(self._dirty_runs):
            if run.state != DagRunState.RUNNING or run.unfinished > 0:
                continue
            leaves = [t for t in run.tis if run.dag.graph.out_degree(t) == 0] if run.dag else []
            failed = [t for t in leaves if run.tis[t].state in (TI.FAILED, TI.UPSTREAM_FAILED)]
            run.state = DagRunState.FAILED if failed else DagRunState.SUCCESS
            run.end_date = self.now()
            self._cancel_timeout(run)
            states = {}
            for ti in run.tis.values():
                states[ti.state] = states.get(ti.state, 0) + 1
            summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
            self._emit(f"DagRun {run.state}", run.run_id, f"{run.dag_id}: {summary}",
                       Severity.ERROR if failed else Severity.INFO, run_id=run.run_id, failed_leaves=failed)

    def _verify_integrity(self, run: DagRun, dag: DAG, version: int) -> None:
        added, removed = [], []
        run.dag = dag
        run.dag_version = version
        for task in dag.task_dict.values():
            if task.task_id not in run.tis:
                self._new_ti(run, task)
                added.append(task.task_id)
        for ti in run.tis.values():
            ti.task = dag.task_dict.get(ti.task_id)
            if ti.task is None and ti.state not in FINISHED:
                if ti.process_alive:
                    self._kill_process(ti, ti.token, "task removed from the DAG")
                self._set(ti, TI.REMOVED, "removed: the task is gone from the new DAG version", end=True)
                removed.append(ti.task_id)
            elif ti.state not in FINISHED:
                ti.dag_version = version
                ti.max_tries = ti.task.retries
                self._dirty_tis[ti] = None
        self._recount(run)
        self._emit("DagRun verify_integrity", run.run_id,
                   f"unversioned bundle: the running run now follows v{version}"
                   + (f"; added {', '.join(added)}" if added else "") + (f"; removed {', '.join(removed)}" if removed else ""),
                   run_id=run.run_id, version=version, added=added, removed=removed)

    def _recount(self, run: DagRun) -> None:
        graph = run.dag.graph
        for ti in run.tis.values():
            if ti.task is None:
                continue
            c = UpstreamCounts(total=len(graph.pred[ti.task_id]))
            for up in graph.pred[ti.task_id]:
                up_ti = run.tis.get(up)
                if up_ti is not None and up_ti.state in FINISHED:
                    c.add(up_ti.state)
            ti.counts = c
            if ti.state == TI.NONE:
                self._candidates[ti] = None

    # ================================================================ the scheduling pass
    def _enqueue(self, fn: Callable[[], None]) -> None:
        self._completions.append(fn)
        self._pump()

    def _arm(self, due: datetime, fn: Callable[[], None], name: str = ""):
        return self.clock.call_at(due, lambda _t: self._enqueue(fn), name)

    _force_flush = False

    def _pump(self, force_flush: bool = False) -> None:
        if self._pumping:
            return
        self._pumping = True
        try:
            while self._completions or self._candidates or self._queue_dirty:
                while self._completions:
                    self._completions.popleft()()
                while self._candidates:
                    ti = next(iter(self._candidates))
                    del self._candidates[ti]
                    self._evaluate(ti)
                if self._queue_dirty:
                    self._queue_dirty = False
                    self._critical_section()
            self._finish_runs()
            if self._dirty_tis or self._dirty_runs or self._writes or force_flush or self._force_flush:
                self._flush()
        finally:
            self._pumping = False

    def _flush(self) -> None:
        with self.meta.transaction():
            for write in self._writes:
                write()
            if self._dirty_runs:
                for run in self._dirty_runs:
                    self.meta.save_run(run)
            if self._dirty_tis:
                self.meta.save_tis(self._dirty_tis)
            self.meta.save_now(self.now())
        self._writes.clear()
        self._dirty_runs.clear()
        self._dirty_tis.clear()
        self._force_flush = False

    def _evaluate(self, ti: TaskInstance) -> None:
        if ti.state != TI.NONE or ti.run.state != DagRunState.RUNNING or ti.task is None:
            return
        decision = evaluate(ti.task.trigger_rule, ti.counts)
        if decision == WAIT:
            return
        if decision == RUN:
            self._schedule(ti, new_try=True)
        else:
            c = ti.counts
            why = (f"trigger_rule {ti.task.trigger_rule}: upstream {c.success} success, {c.failed} failed, "
                   f"{c.upstream_failed} upstream_failed, {c.skipped} skipped")
            self._set(ti, decision, why, Severity.WARNING if decision == TI.UPSTREAM_FAILED else Severity.INFO, end=True)

    def _schedule(self, ti: TaskInstance, *, new_try: bool) -> None:
        if new_try:
            if ti.try_number > 0:
                self._archive_try(ti)
            ti.try_number += 1
            ti.pokes = 0
            ti.slot_seconds = 0.0
            ti.sensor_started = None
            ti.start_date = ti.end_date = None
        ti.next_at = None
        self._set(ti, TI.SCHEDULED, f"try {ti.try_number} of {ti.max_tries + 1}", quiet=not new_try)
        heapq.heappush(self._ready, (-ti.task.priority_weight, next(self._seq), ti))
        self._queue_dirty = True

    def _critical_section(self) -> None:
        """Queue scheduled task instances while worker slots, pools and max_active_tasks allow."""
        ex = self.executor
        aside, started = [], []
        while self._ready and ex.occupied < ex.parallelism:
            item = heapq.heappop(self._ready)
            ti = item[2]
            if ti.state != TI.SCHEDULED or ti.run.state != DagRunState.RUNNING:
                continue
            task = ti.task
            if ex.pools[task.pool].open_slots < task.pool_slots or ti.run.active >= ti.run.dag.max_active_tasks:
                aside.append(item)
                continue
            ex.take(task.pool, task.pool_slots)
            ti.run.active += 1
            ti.held_since = self.now()
            self._set(ti, TI.QUEUED, f"pool {task.pool}: {ex.pools[task.pool].open_slots} slots open after this",
                      quiet=ti.pokes > 0)
            started.append(ti)
        for item in aside:
            heapq.heappush(self._ready, item)
        for ti in started:
            self._start(ti)

    def _start(self, ti: TaskInstance) -> None:
        now = self.now()
        ti.token += 1
        ti.process_alive = True
        if ti.start_date is None:
            ti.start_date = now
        task = ti.task
        token = ti.token
        self._set(ti, TI.RUNNING, f"try {ti.try_number}: a worker slot is held from now", quiet=ti.pokes > 0)
        if task.execution_timeout is not None and not (task.is_sensor and task.mode == "reschedule"):
            # (Airflow issue #32512: a reschedule-mode sensor's execution_timeout never fires)
            self._arm(now + task.execution_timeout, partial(self._execution_timeout, ti, token))
        if task.is_sensor:
            self._poke(ti, token)
            return
        try:
            outcome: tuple[bool, Any] = (True, task.execute(make_context(self, ti)))
        except Exception as exc:  # noqa: BLE001 - task code may raise anything; Airflow records it
            outcome = (False, exc)
        done = partial(self._complete, ti, token, outcome)
        if task.duration > timedelta(0):
            self._arm(now + task.duration, done, f"{ti.task_id} done")
        else:
            self._completions.append(done)

    def _complete(self, ti: TaskInstance, token: int, outcome: tuple[bool, Any]) -> None:
        if token != ti.token or ti.state != TI.RUNNING:
            return  # the process was killed, or the run was marked failed: its result is refused
        ok, value = outcome
        if ok:
            try:
                self._push_xcom(ti, "return_value", value)
            except XComError as exc:
                ok, value = False, exc
        if not ok:
            self._failure(ti, value)
            return
        self._release(ti)
        ti.process_alive = False
        detail = "done" if value is None else f"returned {_short(value)} (XCom return_value)"
        self._set(ti, TI.SUCCESS, detail, end=True)
        self._callback(ti, "on_success_callback")

    def _failure(self, ti: TaskInstance, exc: BaseException) -> None:
        """A try ended in an exception: skip, fail for good, or go up_for_retry (Airflow's handle_failure)."""
        self._release(ti)
        ti.process_alive = False
        name = type(exc).__name__
        if isinstance(exc, AirflowSkipException):
            self._set(ti, TI.SKIPPED, f"{name}: {exc}", end=True)
            return
        terminal = isinstance(exc, (AirflowFailException, AirflowSensorTimeout, AirflowTaskTerminated))
        if terminal or ti.try_number > ti.max_tries:
            why = "never retried" if terminal else f"no retries left ({ti.max_tries} allowed)"
            self._set(ti, TI.FAILED, f"{name}: {exc} ({why})", Severity.ERROR, end=True, error=name)
            self._callback(ti, "on_failure_callback", exc)
            return
        delay = self._retry_delay(ti)
        ti.end_date = self.now()
        ti.next_at = self.now() + delay
        self._set(ti, TI.UP_FOR_RETRY, f"{name}: {exc}; try {ti.try_number + 1} in {human_duration(delay.total_seconds())}",
                  Severity.WARNING, error=name, retry_at=ti.next_at.isoformat())
        self._arm(ti.next_at, partial(self._retry_due, ti, ti.token))

    def _retry_delay(self, ti: TaskInstance) -> timedelta:
        """Airflow 3.3's next_retry_datetime: retry_delay, or with a backoff multiplier
        ceil(delay * multiplier**(try_number-1)) plus a deterministic sha1 jitter, capped."""
        task = ti.task
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

    def _retry_due(self, ti: TaskInstance, token: int) -> None:
        if ti.state == TI.UP_FOR_RETRY and ti.token == token and ti.run.state == DagRunState.RUNNING:
            self._schedule(ti, new_try=True)

    def _execution_timeout(self, ti: TaskInstance, token: int) -> None:
        if token == ti.token and ti.state == TI.RUNNING and ti.process_alive:
            self._kill_process(ti, token, "execution_timeout")
            self._failure(ti, AirflowTaskTimeout(f"execution_timeout of {ti.task.execution_timeout} exceeded"))

    def _heartbeat_timeout(self, ti: TaskInstance, token: int) -> None:
        if token == ti.token and ti.state == TI.RUNNING and not ti.process_alive:
            self._emit("TaskInstance heartbeat timeout", ti.task_id,
                       f"no heartbeat from {ti.task_id} for {int(self.heartbeat_timeout.total_seconds())} s: "
                       "the scheduler fails this try (a retry starts from scratch; nothing is replayed)",
                       Severity.WARNING, run_id=ti.run_id, try_number=ti.try_number)
            self._failure(ti, AirflowException("task instance heartbeat timed out: its worker is gone"))

    def _kill_process(self, ti: TaskInstance, token: int, why: str) -> None:
        """The worker process of this try ends now: its slot comes back, its late results are refused."""
        if token != ti.token or not ti.process_alive:
            return
        ti.token += 1
        ti.process_alive = False
        self._release(ti)

    def _release(self, ti: TaskInstance) -> None:
        if ti.held_since is None:
            return
        ti.slot_seconds += (self.now() - ti.held_since).total_seconds()
        ti.held_since = None
        self.executor.give_back(ti.task.pool if ti.task else ti.pool, ti.task.pool_slots if ti.task else 1)
        ti.run.active -= 1
        self._queue_dirty = True
        self._dirty_tis[ti] = None

    # ================================================================ sensors
    def _poke(self, ti: TaskInstance, token: int) -> None:
        if token != ti.token or ti.state != TI.RUNNING:
            return
        sensor = ti.task
        now = self.now()
        if ti.sensor_started is None:
            ti.sensor_started = now
        ti.pokes += 1
        self.total_pokes += 1
        day = int(day_of(now, ti.run.start_date))
        if day != ti.last_trace_day:
            ti.last_trace_day = day
            held = "holding its worker slot" if sensor.mode == "poke" else "its slot is free between pokes"
            self._emit("Sensor poke", ti.task_id, f"poke #{ti.pokes} (mode={sensor.mode}, {held})",
                       run_id=ti.run_id, pokes=ti.pokes, mode=sensor.mode)
        try:
            satisfied = sensor.poke(make_context(self, ti))
        except (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException) as exc:
            self._failure(ti, AirflowSkipException(f"soft_fail: {exc}") if sensor.soft_fail else exc)
            return
        except Exception as exc:  # noqa: BLE001
            self._failure(ti, exc)
            return
        if satisfied:
            self._complete(ti, token, (True, None))
            return
        run_duration = (now - ti.sensor_started).total_seconds()
        timeout = sensor.timeout.total_seconds()
        if run_duration > timeout:
            msg = (f"Sensor has timed out; run duration of {run_duration:.0f} seconds exceeds the specified timeout "
                   f"of {timeout:.0f} ({human_duration(sensor.timeout.total_seconds())})")
            self._failure(ti, AirflowSkipException(msg) if sensor.soft_fail else AirflowSensorTimeout(msg))
            return
        if sensor.mode == "reschedule":
            # Airflow 3.3 resets poke_count to 1 on every reschedule-mode execution
            interval = sensor.next_poke_interval(ti.sensor_started, run_duration, 1)
            when = now + timedelta(seconds=interval)
            start = ti.held_since or now
            self._kill_process(ti, token, "reschedule")
            ti.next_at = when
            run_id, task_id, try_number = ti.run_id, ti.task_id, ti.try_number
            self._writes.append(lambda: self.meta.add_reschedule(run_id, task_id, try_number, start, when))
            self._set(ti, TI.UP_FOR_RESCHEDULE, f"not yet; slot given back until {when:%Y-%m-%d %H:%M:%S}",
                      quiet=ti.pokes > 1)
            self._arm(when, partial(self._reschedule_due, ti, ti.token))
            return
        interval = sensor.next_poke_interval(ti.sensor_started, run_duration, ti.pokes)
        self.clock.call_at(now + timedelta(seconds=interval), lambda _t: self._enqueue(partial(self._poke, ti, token)),
                           f"poke {ti.task_id}")

    def _reschedule_due(self, ti: TaskInstance, token: int) -> None:
        if ti.state == TI.UP_FOR_RESCHEDULE and ti.token == token and ti.run.state == DagRunState.RUNNING:
            self._schedule(ti, new_try=False)

    # ================================================================ XCom, callbacks, trace
    def _push_xcom(self, ti: TaskInstance, key: str, value: Any) -> None:
        if value is None:
            return
        try:
            text = json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise XComError(f"task {ti.task_id}: XCom {key!r} must be JSON (small values only): {exc}") from None
        if len(text) > MAX_XCOM_BYTES:
            raise XComError(f"task {ti.task_id}: XCom {key!r} is {len(text)} bytes; keep XCom under {MAX_XCOM_BYTES} "
                            "bytes and pass a reference (a table, a file) instead")
        self.xcom[(ti.run_id, ti.task_id, key)] = json.loads(text)
        run_id, task_id = ti.run_id, ti.task_id
        self._writes.append(lambda: self.meta.set_xcom(run_id, task_id, key, text))

    def _callback(self, ti: TaskInstance, name: str, exc: BaseException | None = None) -> None:
        fn = getattr(ti.task, name, None) if ti.task else None
        if fn is None:
            return
        ctx = make_context(self, ti)
        if exc is not None:
            ctx["exception"] = exc
        try:
            fn(ctx)
        except Exception as err:  # noqa: BLE001 - a failing callback is logged, never fatal (as in Airflow)
            self._emit("Callback failed", ti.task_id, f"{name} raised {type(err).__name__}: {err}", Severity.WARNING)

    def _set(self, ti: TaskInstance, state: str, detail: str = "", severity: Severity = Severity.INFO, *,
             end: bool = False, quiet: bool = False, **data: Any) -> None:
        """Move a task instance to `state`, record it, and tell its downstream if it is finished."""
        ti.state = state
        run = ti.run
        run.transitions += 1
        self._dirty_tis[ti] = None
        if end:
            ti.end_date = self.now()
            ti.next_at = None
        if not quiet:
            self._emit(f"TaskInstance {state}", ti.task_id, detail, severity, run_id=ti.run_id,
                       try_number=ti.try_number, **data)
        if state in FINISHED:
            run.unfinished -= 1
            self._dirty_runs[run] = None
            if run.dag is not None and ti.task_id in run.dag.graph:
                for down in run.dag.graph.succ[ti.task_id]:
                    d = run.tis.get(down)
                    if d is not None:
                        d.counts.add(state)
                        if d.state == TI.NONE:
                            self._candidates[d] = None

    def _archive_try(self, ti: TaskInstance) -> None:
        row = {"task_id": ti.task_id, "try_number": ti.try_number, "state": ti.state, "start": ti.start_date,
               "end": ti.end_date, "slot_seconds": ti.slot_seconds, "pokes": ti.pokes}
        self.history.setdefault(ti.run_id, []).append(row)
        values = (ti.run_id, ti.task_id, ti.try_number, ti.state, _iso(ti.start_date), _iso(ti.end_date),
                  ti.slot_seconds, ti.pokes)
        self._writes.append(lambda: self.meta.add_history([values]))

    def _emit(self, kind: str, subject: str, detail: str, severity: Severity = Severity.INFO, **data: Any) -> None:
        self.trace.emit(self.now(), kind, subject, detail, severity, **data)

    def _live_slot_seconds(self, ti: TaskInstance) -> float:
        held = (self.now() - ti.held_since).total_seconds() if ti.held_since is not None else 0.0
        return ti.slot_seconds + held

    # ================================================================ restart
    def _load(self) -> None:
        """Rebuild the in-memory model from the metadata database and re-arm what was pending."""
        for row in self.meta.runs():
            dag = self.dags.get(row["dag_id"])
            if dag is None or row["run_id"] in self.runs:
                continue
            run = DagRun(row["run_id"], row["dag_id"], row["run_type"], row["state"], row["logical_date"],
                         row["start_date"], row["end_date"], row["dag_version"], row["conf"], row["note"], dag=dag)
            self.runs[run.run_id] = run
            self.history[run.run_id] = [
                {"task_id": h["task_id"], "try_number": h["try_number"], "state": h["state"], "start": h["start_date"],
                 "end": h["end_date"], "slot_seconds": h["slot_seconds"], "pokes": h["pokes"]}
                for h in self.meta.history(run.run_id)]
            for r in self.meta.task_instances(run.run_id):
                ti = TaskInstance(**r, run=run, task=dag.task_dict.get(r["task_id"]))
                run.tis[ti.task_id] = ti
                if ti.state not in FINISHED:
                    run.unfinished += 1
            for (task_id, key), value in self.meta.xcoms(run.run_id).items():
                self.xcom[(run.run_id, task_id, key)] = value
            if run.finished:
                continue
            for task in dag.task_dict.values():
                if task.task_id not in run.tis:
                    self._new_ti(run, task)
            self._recount(run)
            self._arm_run_timeout(run)
            self._emit("Scheduler restarted", run.run_id, "picked up the DAG run from the metadata database",
                       run_id=run.run_id)
            for ti in run.tis.values():
                if ti.state in (TI.SCHEDULED, TI.QUEUED):
                    # adopt_or_reset_orphaned_tasks: the old executor's queue is gone
                    ti.state = TI.NONE
                    ti.try_number -= 1
                    self._candidates[ti] = None
                elif ti.state == TI.RUNNING:
                    self._emit("Worker lost", ti.task_id, "its worker died with the previous scheduler; "
                               "the scheduler will miss its heartbeat", Severity.WARNING, run_id=run.run_id)
                    self._arm(self.now() + self.heartbeat_timeout, partial(self._heartbeat_timeout, ti, ti.token))
                elif ti.state == TI.UP_FOR_RETRY:
                    self._arm(ti.next_at or self.now(), partial(self._retry_due, ti, ti.token))
                elif ti.state == TI.UP_FOR_RESCHEDULE:
                    self._arm(ti.next_at or self.now(), partial(self._reschedule_due, ti, ti.token))


def _order(run: DagRun) -> list[str]:
    if run.dag is None:
        return list(run.tis)
    order = [t for t in run.dag.topological_order() if t in run.tis]
    return order + [t for t in run.tis if t not in set(order)]


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["Scheduler", "TaskInstanceContext", "NO_ACTOR"]
