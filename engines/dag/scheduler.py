"""The scheduler and its executor on the shared clock: the public façade and the scheduling pass.

Everything happens on a clock (virtual in demos and tests): a task's result arrives `duration`
after it starts, a retry waits its `retry_delay`, a poke-mode sensor pokes every
`poke_interval` while holding its worker slot. Each time something happens the scheduler makes
one pass (like Airflow's scheduling loop): settle task instances whose upstream changed, queue
what may run within parallelism and pools (the critical section), start it, and commit the
changes to the metadata database. Every task-instance state change a worker could observe is
committed on its own, as Airflow's API server commits what a worker reports, so a new
Scheduler on the same database file continues where the last one stopped: a try that was
running is failed by its heartbeat timeout and retried as a new try, a finished task never
runs again (tests/dag/test_crash_matrix.py kills real processes to show it).

The pieces a pass drives live in their own modules, in Airflow's seams: taskinstance.py (a
try's lifecycle), dagrun.py (a run's), poking.py (sensors), xcom.py, restart.py; they share a
SchedulerLoop (loop.py), never this façade. What a DAG cannot do is on purpose visible here: a
sensor's wait is slot-seconds, and the only "cancel" is `mark_dag_run_failed`, a state flip that
no task code ever hears about.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, runtime_checkable

from engines.clock import Clock, Timer, VirtualClock, as_utc
from engines.dag.dag import DAG
from engines.dag.dagrun import DagRunLifecycle
from engines.dag.deferral import Triggerer
from engines.dag.errors import DagError, DagNotFound, DagRunNotFound
from engines.dag.executor import DEFAULT_PARALLELISM, Executor
from engines.dag.loop import SchedulerLoop, TryRow
from engines.dag.metadata import MetadataDB
from engines.dag.models import DagRun, TaskInstance
from engines.dag.poking import PokeLoop
from engines.dag.ready import RunPoolQueue
from engines.dag.restart import load_from_metadata
from engines.dag.run_type import DagRunType
from engines.dag.schedules import timetable_for
from engines.dag.sensors import BaseSensorOperator
from engines.dag.session import Session
from engines.dag.states import TI
from engines.dag.taskinstance import HEARTBEAT_TIMEOUT, TaskInstanceLifecycle, live_slot_seconds
from engines.dag.xcom import ADVISED_XCOM_BYTES, XCOM_RETURN_KEY, XCom
from engines.store import Store
from engines.trace import Severity, TraceEvent, TraceRecorder


@runtime_checkable
class _ResumableClock(Protocol):
    """A clock that can be moved to a saved time (VirtualClock can; a wall clock cannot)."""

    def set(self, t: datetime) -> None: ...


class Scheduler:
    """An Airflow-style scheduler + executor over one metadata database and one clock.

    Each Scheduler owns all of its state (no module-level caches), so two of them may run in two
    threads, each on its own clock and database."""

    def __init__(
        self,
        dags: Iterable[DAG] = (),
        *,
        clock: Clock | None = None,
        db: str | Path | Store = ":memory:",
        parallelism: int = DEFAULT_PARALLELISM,
        pools: dict[str, int] | None = None,
        listener: Callable[[TraceEvent], None] | None = None,
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
        self.session = Session(self.meta)
        self.loop = SchedulerLoop(self.clock, self.trace, self.session, self.executor)
        self.xcom = XCom(self.session, advise=self._advise_xcom)
        self._tis = TaskInstanceLifecycle(self.loop, self.xcom, heartbeat_timeout)
        self._runs = DagRunLifecycle(self.loop, self._tis)
        self._poking = PokeLoop(self.loop, self._tis)
        self.triggerer = Triggerer(self.loop, self._tis)
        self._tis.on_deferred = self.triggerer.defer
        self._pumping = False
        self._schedule_timers: dict[str, Timer] = {}
        self._paused: set[str] = set()
        self.loop.wake = self._pump
        saved = self.meta.saved_now()
        self.session.committed_now = saved
        if saved is not None and isinstance(self.clock, _ResumableClock):
            self.clock.set(saved)  # continue the timeline the last scheduler reached
        for dag in dags:
            self.add_dag(dag, _load=False)
        load_from_metadata(self.loop, self.meta, self.dags, self.xcom, self._runs, self._tis, self.triggerer)
        self._pump()

    @property
    def runs(self) -> dict[str, DagRun]:
        """Every DAG run, oldest first, by run id."""
        return self.loop.runs

    @property
    def history(self) -> dict[str, list[TryRow]]:
        """Past tries per run id (the grid's earlier rows)."""
        return self.loop.history

    # ================================================================ public API
    def now(self) -> datetime:
        return self.clock.now()

    def add_dag(self, dag: DAG, *, _load: bool = True) -> int:
        """Register a DAG (its file was parsed): refuses what Airflow's DagBag refuses (a cycle, a
        setup followed by a task that is not all_success), records a DAG version, arms its schedule."""
        dag.validate()
        self.dags[dag.dag_id] = dag
        version = self._record_version(dag)
        self._load_paused(dag)
        self._arm_schedule(dag)
        if _load:
            self._pump()
        return version

    def set_pool(self, name: str, slots: int) -> None:
        """Create or resize a pool (`airflow pools set NAME SLOTS`)."""
        self.executor.set_pool(name, slots)
        self.loop.queue_dirty = True
        self._pump()

    def trigger_dag(self, dag_id: str, *, conf: dict[str, Any] | None = None, run_id: str | None = None) -> DagRun:
        """A manual DAG run starting now (`airflow dags trigger`)."""
        dag = self._dag(dag_id)
        run = self._runs.create_run(dag, DagRunType.MANUAL, self.now(), conf or {}, run_id, self.versions[dag_id])
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
        """One DAG run to completion on the clock, like `airflow dags test` (Airflow's `dag.test()`)."""
        return self.run_until_done(self.trigger_dag(dag_id, conf=conf).run_id, until)

    def dag_run(self, run_id: str | None = None) -> DagRun:
        """A DAG run by id; without an id, the newest."""
        runs = self.loop.runs
        if run_id is None:
            if not runs:
                raise DagRunNotFound("there is no DAG run yet")
            return list(runs.values())[-1]
        try:
            return runs[run_id]
        except KeyError:
            raise DagRunNotFound(f"no DAG run {run_id!r}; runs: {', '.join(runs) or 'none'}") from None

    def grid(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """The task-instance grid: one row per task and try (task × state × try × start/end)."""
        return [dict(zip(_GRID_KEYS, row)) for row in self._grid_rows(self.dag_run(run_id))]

    def slot_seconds(self, run_id: str | None = None) -> dict[str, float]:
        """Worker-slot seconds held per task (all tries), up to now."""
        run = self.dag_run(run_id)
        out = {tid: 0.0 for tid in _order(run)}
        for row in self._grid_rows(run):
            out[row[0]] += row[5]
        return out

    def _grid_rows(self, run: DagRun) -> Iterator[tuple[Any, ...]]:
        """The grid's rows as tuples (keys in _GRID_KEYS), tasks upstream first, each task's past
        tries before its current one; one pass over the run's past tries, indexed by task."""
        past: dict[tuple[str, int], list[TryRow]] = {}
        for h in self.loop.history.get(run.run_id, []):
            past.setdefault((h["task_id"], h.get("map_index", -1)), []).append(h)
        now = self.now()
        for task_id in _order(run):
            for ti in run.task_tis(task_id):
                for h in past.get((task_id, ti.map_index), ()):
                    if h["try_number"] != ti.try_number:
                        yield tuple(h.get(k, -1) for k in _GRID_KEYS)
                yield (task_id, ti.try_number, ti.state, ti.start_date, ti.end_date, live_slot_seconds(ti, now),
                       ti.pokes, ti.map_index)

    def xcom_pull(self, run_id: str, task_id: str, key: str = XCOM_RETURN_KEY, default: Any = None,
                  map_index: int = -1) -> Any:
        """What a task instance of a run pushed under `key` (its return value by default)."""
        return self.xcom.pull(run_id, task_id, key, default, map_index=map_index)

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
        killed = self._runs.mark_failed(run)
        self._runs.start_queued(run.dag_id)
        self._pump(force_flush=True)
        return killed

    def pause_dag(self, dag_id: str) -> None:
        """`airflow dags pause DAG_ID`: is_paused is set in the metadata database and the scheduler
        creates no more scheduled runs of the DAG until it is unpaused.

        No task code hears of the pause. Only run creation honours it here: Airflow's scheduler
        also stops examining a paused DAG's running runs and leaves a manual run queued until
        the unpause; here a run already created, or triggered by hand, goes on to its end.
        """
        self._dag(dag_id)
        self._paused.add(dag_id)
        timer = self._schedule_timers.pop(dag_id, None)
        if timer is not None:
            timer.cancel()
        self.session.defer(lambda meta: meta.set_paused(dag_id, True))
        self.loop.emit("DAG paused", dag_id, f"{dag_id} is paused: the scheduler creates no new runs of it",
                       dag_id=dag_id)
        self._pump(force_flush=True)

    def unpause_dag(self, dag_id: str) -> None:
        """`airflow dags unpause DAG_ID`: the schedule is armed again from the last scheduled run,
        so with catchup=True every point missed while paused gets its run (with catchup=False only
        the latest one)."""
        dag = self._dag(dag_id)
        self._paused.discard(dag_id)
        self.session.defer(lambda meta: meta.set_paused(dag_id, False))
        self.loop.emit("DAG unpaused", dag_id, f"{dag_id} is unpaused: its schedule is armed again", dag_id=dag_id)
        self._arm_schedule(dag)
        self._pump(force_flush=True)

    def is_paused(self, dag_id: str) -> bool:
        """The DAG's is_paused flag (Airflow's DagModel.is_paused)."""
        self._dag(dag_id)
        return dag_id in self._paused

    def kill_worker(self, run_id: str | None = None, task_id: str | None = None) -> list[str]:
        """Kill the worker process(es) running task instances (a crash). The metadata still says
        running until the scheduler misses the heartbeat; then the try fails and, with retries
        left, the task runs again from scratch: at-least-once, no replay."""
        killed = []
        for run in list(self.loop.runs.values()):
            if run_id is not None and run.run_id != run_id:
                continue
            for ti in run.tis.values():
                if ti.process_alive and (task_id is None or ti.task_id == task_id):
                    self._tis.kill_process(ti, ti.token, "worker killed")
                    killed.append(ti.task_id)
                    self.loop.emit("Worker killed", ti.task_id,
                                   f"the worker running {ti.task_id} (try {ti.try_number}) died; the metadata still "
                                   f"says running until the heartbeat times out "
                                   f"({int(self.heartbeat_timeout.total_seconds())} s)",
                                   Severity.WARNING, run_id=ti.run_id, try_number=ti.try_number)
                    self._tis.arm_heartbeat_timeout(ti)
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
            for run in self.loop.runs.values():
                if run.dag_id != dag.dag_id or run.finished:
                    continue
                if self.versioned_bundle:
                    self.loop.emit("DagRun keeps its version", run.run_id,
                                   f"versioned bundle: this run finishes on v{run.dag_version}; v{version} applies "
                                   "to new runs", run_id=run.run_id)
                else:
                    self._runs.verify_integrity(run, dag, version)
        self._pump(force_flush=True)
        return version

    def pokes(self, run_id: str | None = None) -> dict[str, int]:
        """Pokes per sensor task (all tries) in a run."""
        out: dict[str, int] = {}
        for row in self._grid_rows(self.dag_run(run_id)):
            if row[6]:
                out[row[0]] = out.get(row[0], 0) + row[6]
        return out

    def close(self) -> None:
        """Commit what is pending and close the metadata database."""
        self._pump(force_flush=True)
        self.meta.close()

    # ================================================================ DAGs, versions, schedules
    def _dag(self, dag_id: str) -> DAG:
        try:
            return self.dags[dag_id]
        except KeyError:
            raise DagNotFound(f"no DAG {dag_id!r}; DAGs: {', '.join(self.dags) or 'none'}") from None

    def _record_version(self, dag: DAG) -> int:
        """The DAG's version number: the last one on file if the structure is the same, else a new one."""
        digest = dag.version_hash()
        known = self.meta.dag_versions(dag.dag_id)
        if known and known[-1][1] == digest:
            self.versions[dag.dag_id] = known[-1][0]
            return known[-1][0]
        number = known[-1][0] + 1 if known else 1
        at = self.now()
        self.session.defer(lambda meta: meta.add_dag_version(dag.dag_id, number, digest, at))
        self.versions[dag.dag_id] = number
        self.loop.emit("DagVersion created", dag.dag_id, f"{dag.dag_id} v{number} ({len(dag.task_dict)} tasks)",
                       version=number, hash=digest)
        return number

    def _load_paused(self, dag: DAG) -> None:
        """The DAG's is_paused from the file; a DAG new to it starts as is_paused_upon_creation says."""
        paused = self.meta.is_paused(dag.dag_id)
        if paused is None and dag.is_paused_upon_creation:
            paused = True
            self.session.defer(lambda meta: meta.set_paused(dag.dag_id, True))
        (self._paused.add if paused else self._paused.discard)(dag.dag_id)

    def _arm_schedule(self, dag: DAG, last: datetime | None = None) -> None:
        """A timer for the DAG's next automated run, as its timetable says (none for schedule=None,
        none while the DAG is paused)."""
        timer = self._schedule_timers.pop(dag.dag_id, None)
        if timer is not None:
            timer.cancel()
        tt = timetable_for(dag.schedule, where=f"DAG {dag.dag_id}")
        if tt is None or dag.dag_id in self._paused:
            return
        if last is None:
            last = self.meta.schedule_of(dag.dag_id)
        nxt = tt.next_run_after(last=last, start_date=dag.start_date, catchup=dag.catchup, now=self.now())
        if nxt is None or (dag.end_date is not None and nxt > as_utc(dag.end_date)):
            return  # Airflow creates no run past the DAG's end_date
        self._schedule_timers[dag.dag_id] = self.loop.arm(
            nxt, partial(self._scheduled_run_due, dag.dag_id, nxt), f"schedule {dag.dag_id}")

    def _scheduled_run_due(self, dag_id: str, run_after: datetime) -> None:
        dag = self.dags.get(dag_id)
        if dag is None or dag_id in self._paused:
            return
        self._runs.create_run(dag, DagRunType.SCHEDULED, run_after, {}, None, self.versions[dag_id])
        self.session.defer(lambda meta: meta.set_schedule(dag_id, run_after, None))
        self._arm_schedule(dag, last=run_after)

    # ================================================================ the scheduling pass
    def _pump(self, force_flush: bool = False) -> None:
        """One scheduling pass: due work, trigger rules, the critical section, run ends, one commit.

        Re-entrant calls (a timer firing inside a pass) only queue their work for this pass."""
        if self._pumping:
            return
        self._pumping = True
        loop = self.loop
        try:
            while True:
                while self._work_left():
                    settled_before, loop.next_pass = loop.next_pass, deque()
                    while loop.completions:
                        loop.completions.popleft()()
                    while settled_before:
                        settled_before.popleft()()
                    while loop.candidates:
                        self._runs.evaluate(loop.next_candidate())
                    if loop.queue_dirty:
                        loop.queue_dirty = False
                        self._critical_section()
                self._runs.finish_runs()
                if not self._work_left():  # (a run that ended may have started a queued one)
                    break
            now = self.now()
            if self.session.pending or (force_flush and self.session.behind(now)):
                self.session.commit(now)  # (nothing new and the time already on file: no empty commit)
        finally:
            self._pumping = False

    def _work_left(self) -> bool:
        loop = self.loop
        return bool(loop.completions or loop.candidates or loop.queue_dirty or loop.next_pass)

    def _critical_section(self) -> None:
        """Queue scheduled task instances while worker slots, pools and max_active_tasks allow, then
        start them (Airflow's _critical_section_enqueue_task_instances).

        The ready queues (ready.py) are looked at in priority order, one queue per DAG run and
        pool: a queue whose head does not fit (its run at max_active_tasks, or its pool short of
        slots) waits as a whole until the next critical section, so a full run costs one look,
        however many of its task instances wait."""
        ex = self.executor
        ready = self.loop.ready
        aside: list[RunPoolQueue] = []
        started: list[TaskInstance] = []
        while ex.occupied < ex.parallelism:
            queue = ready.first()
            if queue is None:
                break
            run = queue.run
            if ex.pools[queue.pool].open_slots < queue.pool_slots or run.active >= run.dag.max_active_tasks:
                aside.append(queue)
                continue
            ti = ready.pop(queue)
            ready.put_back(queue)
            self._tis.queue(ti)
            started.append(ti)
        for queue in aside:
            ready.put_back(queue)
        # Every task instance queued in one critical section starts before any of them ends, as on
        # an executor with that many free workers: a branch that ends skips none of the tasks
        # started beside it (Airflow's skip leaves running task instances alone).
        for ti in started:
            if ti.state != TI.QUEUED:
                continue  # skipped (by a branch that just ran) before its worker started: it never runs
            token = self._tis.start(ti)
            task = ti.task
            if isinstance(task, BaseSensorOperator) and not task.deferrable and ti.next_method is None:
                self._poking.poke(ti, token)
            else:
                self._tis.execute(ti, token)


    def _advise_xcom(self, ti: TaskInstance, key: str, size: int) -> None:
        """Airflow stores a big XCom in its metadata database without complaint; the advice is ours."""
        self.loop.emit("XCom is large", ti.key, f"XCom {key!r} of {ti.key} is {size:,} bytes; it is stored, but "
                       f"XCom is meant for small values (over {ADVISED_XCOM_BYTES:,} bytes, pass a reference: "
                       "a table, a file)", Severity.WARNING, run_id=ti.run_id, bytes=size)


#: A grid row's keys, in the order of the tuples _grid_rows yields.
_GRID_KEYS = ("task_id", "try_number", "state", "start", "end", "slot_seconds", "pokes", "map_index")


def _order(run: DagRun) -> list[str]:
    """The run's task ids upstream first; task instances of tasks no longer in the DAG last."""
    order = [t for t in run.dag.topological_order() if run.task_tis(t)]
    seen = set(order)
    return order + [ti.task_id for ti in run.tis.values() if ti.task_id not in seen and ti.map_index < 0]


def _test_dag(dag: DAG, run_conf: dict[str, Any] | None) -> DagRun:
    """DAG.test(): a fresh scheduler on a virtual clock, one run to its end."""
    scheduler = Scheduler([dag])
    run = scheduler.test(dag.dag_id, conf=run_conf)
    scheduler.close()
    return run


DAG._test_runner = _test_dag

__all__ = ["Scheduler"]
