"""The DAG-run lifecycle (Airflow's dagrun.py): create a run, decide what its tasks may do, end it.

A run starts `running` with one task instance per task. Whenever an upstream task instance
finishes, the downstream ones are evaluated against their trigger rules (Airflow's
task_instance_scheduling_decisions): run, wait, or settle as skipped / upstream_failed. A run
ends when no task instance is unfinished, failed if a leaf failed; or earlier, by its
dagrun_timeout, or by `mark_failed`, Airflow's only "cancel".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from engines.dag.dag import DAG, BaseOperator
from engines.dag.loop import SchedulerLoop
from engines.dag.models import DagRun, TaskInstance
from engines.dag.run_type import DagRunType
from engines.dag.states import FINISHED, TI, DagRunState, TaskInstanceState
from engines.dag.taskinstance import TaskInstanceLifecycle
from engines.dag.mapping import expand_values, literal_map_length, mapping_sources
from engines.dag.trigger_rules import RUN, WAIT, TriggerRule, TriggerRuleDecision, UpstreamCounts, evaluate, setup_constraint
from engines.trace import Severity

#: [workers] min_heartbeat_interval: a mark-failed reaches the worker's supervisor this late.
HEARTBEAT_INTERVAL = timedelta(seconds=5)
#: The supervisor's SIGTERM → SIGKILL escalation delay.
KILL_ESCALATION = timedelta(seconds=5)
NO_ACTOR = "no running actor to receive it"


class DagRunLifecycle:
    """Creates DAG runs, settles their task instances by trigger rule, and ends them."""

    def __init__(self, loop: SchedulerLoop, lifecycle: TaskInstanceLifecycle) -> None:
        self.loop = loop
        self.tis = lifecycle

    # ------------------------------------------------------------------ creating
    def create_run(self, dag: DAG, run_type: DagRunType, logical_date: datetime, conf: dict[str, Any],
                   run_id: str | None, version: int) -> DagRun:
        """A DAG run of `dag` (at DAG version `version`) with a task instance per task: running, or
        queued while the DAG has max_active_runs runs running (Airflow queues it the same way)."""
        loop = self.loop
        for task in dag.task_dict.values():
            loop.executor.pool(task.pool, f"DAG {dag.dag_id}, task {task.task_id}")
        base = run_id or f"{run_type}__{logical_date.isoformat()}"
        run_id = base
        n = 1
        while run_id in loop.runs:
            n += 1
            run_id = f"{base}.{n}"
        running = sum(1 for r in loop.runs.values() if r.dag_id == dag.dag_id and r.state == DagRunState.RUNNING)
        queued = running >= dag.max_active_runs
        run = DagRun(run_id, dag.dag_id, run_type, DagRunState.QUEUED if queued else DagRunState.RUNNING, logical_date,
                     None if queued else loop.now(), dag_version=version, conf=dict(conf), dag=dag)
        loop.runs[run_id] = run
        loop.history[run_id] = []
        for task in dag.task_dict.values():
            count = literal_map_length(task)
            if count:  # mapped over literals only: expanded when the run is created, as in Airflow
                for i in range(count):
                    self.new_ti(run, task, i)
            else:
                self.new_ti(run, task)
        loop.session.add_run(run)
        loop.emit("DagRun created", run_id,
                  f"{run_type} run of {dag.dag_id} v{run.dag_version}, logical date {logical_date:%Y-%m-%d %H:%M}"
                  + (f"; queued: {running} runs already running (max_active_runs={dag.max_active_runs})" if queued else ""),
                  run_id=run_id, dag_id=dag.dag_id, run_type=run_type, logical_date=logical_date.isoformat())
        if not queued:
            self.start_run(run)
        return run

    def start_run(self, run: DagRun) -> None:
        """The run starts: its task instances without upstream are looked at, its timeout armed."""
        loop = self.loop
        if run.state != DagRunState.RUNNING:
            run.state = DagRunState.RUNNING
            run.start_date = loop.now()
            loop.session.add_run(run)
            loop.emit("DagRun running", run.run_id, "a slot under max_active_runs came free", run_id=run.run_id)
        self.recount(run, consider_all=False)
        self.arm_timeout(run)

    def new_ti(self, run: DagRun, task: BaseOperator, map_index: int = -1) -> TaskInstance:
        """A task instance (state none) for a task of the run."""
        ti = TaskInstance(run.run_id, task.task_id, max_tries=task.retries, pool=task.pool, dag_version=run.dag_version,
                          map_index=map_index, run=run, task=task)
        run.add_ti(ti)
        run.unfinished += 1
        self.loop.session.add(ti)
        return ti

    # ------------------------------------------------------------------ dynamic task mapping
    def _try_expand(self, ti: TaskInstance) -> bool | None:
        """Expand an unexpanded mapped task instance once what it maps over has succeeded
        (Airflow's expand_mapped_task). True: expanded (or skipped, for zero values); False: cannot
        yet; None: it never will (a source did not succeed), so the trigger rule settles it."""
        task = ti.operator
        run = ti.run
        for src in mapping_sources(task):
            states = [t.state for t in run.task_tis(src)]
            if any(s in FINISHED and s != TI.SUCCESS for s in states):
                return None
            if not states or any(s != TI.SUCCESS for s in states):
                return False
        context = self.tis.context(ti)
        try:
            values = expand_values(task, lambda arg: arg.resolve(context))
        except Exception as exc:  # noqa: BLE001 - an unmappable value fails the mapped task, as in Airflow
            self.tis.set_state(ti, TI.FAILED, f"cannot expand: {exc}", Severity.ERROR, end=True, settled=True)
            return True
        if not values:
            self.tis.set_state(ti, TI.SKIPPED, "skipped: the map has 0 values to expand", end=True, settled=True)
            return True
        # the unexpanded task instance becomes map index 0; 1..n-1 are new
        del run.tis[ti.key]
        ti.map_index = 0
        run.add_ti(ti)
        self.loop.session.forget(ti, old_map_index=-1)
        self.loop.session.add(ti)
        for i in range(1, len(values)):
            new = self.new_ti(run, task, i)
            new.counts = UpstreamCounts(**{f: getattr(ti.counts, f) for f in ti.counts.__slots__})
        extra = len(values) - 1
        for down in run.dag.graph.succ[task.task_id]:
            for d in run.task_tis(down):
                d.counts.total += extra
                d.counts.setups += extra if task.is_setup else 0
        self.loop.emit("TaskInstance expanded", task.task_id, f"mapped over {len(values)} values: "
                       f"map indexes 0..{len(values) - 1}", run_id=run.run_id, count=len(values))
        for t in run.task_tis(task.task_id):
            self.loop.consider(t)
        return True

    # ------------------------------------------------------------------ scheduling decisions
    def evaluate(self, ti: TaskInstance) -> None:
        """Apply the trigger rule to a task instance whose upstream changed: schedule it, or settle it."""
        if ti.state != TI.NONE or ti.run.state != DagRunState.RUNNING or ti.task is None:
            return
        task = ti.task
        run = ti.run
        dag = run.dag
        decision = evaluate(task.trigger_rule, ti.counts)
        setups = dag.indirect_setups(task.task_id) if not task.is_teardown else []
        if setups:
            constraint = setup_constraint([t.state for s in setups for t in run.task_tis(s)])
            if constraint not in (RUN, WAIT):
                decision = constraint
            elif constraint == WAIT and decision == RUN:
                decision = WAIT
        if decision == RUN and task.is_teardown:
            scope = dag.teardown_scope(task.task_id)
            if any(t.state not in FINISHED for s in scope for t in run.task_tis(s)):
                decision = WAIT
        if decision == RUN and task.is_mapped and ti.map_index < 0:
            # Airflow expands a mapped task once it is ready to run (its trigger rule passed), so
            # a rule that settles it settles the one unexpanded task instance
            expanded = self._try_expand(ti)
            if expanded:
                return
            if expanded is False:
                return  # what it maps over is not there yet
            decision = TriggerRuleDecision.UPSTREAM_FAILED  # what it maps over never came: nothing to run
        if decision == RUN and task.depends_on_past and not self._past_depends_met(ti):
            decision = WAIT
        if decision == WAIT:
            return
        if decision == RUN:
            self.tis.schedule(ti, new_try=True)
            return
        c = ti.counts
        why = (f"trigger_rule {task.trigger_rule}: upstream {c.success} success, {c.failed} failed, "
               f"{c.upstream_failed} upstream_failed, {c.skipped} skipped")
        if setups and decision != evaluate(task.trigger_rule, c):
            why = f"its setup {', '.join(setups)} did not succeed"
        state = TaskInstanceState(decision)
        self.tis.set_state(ti, state, why, Severity.WARNING if state == TI.UPSTREAM_FAILED else Severity.INFO, end=True,
                           settled=True)

    def _previous_run(self, run: DagRun) -> DagRun | None:
        """The run of the same DAG with the latest logical date before this one's."""
        best: DagRun | None = None
        for r in self.loop.runs.values():
            if r.dag_id == run.dag_id and r.logical_date < run.logical_date:
                if best is None or r.logical_date > best.logical_date:
                    best = r
        return best

    def _past_depends_met(self, ti: TaskInstance) -> bool:
        """depends_on_past (Airflow's PrevDagrunDep): the same task instance of the previous run
        succeeded or was skipped (or there is none)."""
        prev = self._previous_run(ti.run)
        if prev is None:
            return True
        prev_ti = prev.tis.get(ti.key)
        return prev_ti is None or prev_ti.state in (TI.SUCCESS, TI.SKIPPED)

    def recount(self, run: DagRun, *, consider_all: bool = True) -> None:
        """Recount every task instance's finished upstream (at a run's start, after a restart or a
        new DAG version) and look at those still waiting; at a run's start only those with
        nothing to wait for (the others are looked at when an upstream ends)."""
        graph = run.dag.graph
        dag = run.dag
        for ti in run.tis.values():
            if ti.task is None:
                continue
            c = UpstreamCounts()
            for up in graph.pred[ti.task_id]:
                up_task = dag.task_dict.get(up)
                is_setup = up_task is not None and up_task.is_setup
                for up_ti in run.task_tis(up):
                    c.total += 1
                    c.setups += is_setup
                    if up_ti.state in FINISHED:
                        c.add(up_ti.state, is_setup)
            ti.counts = c
            if ti.state == TI.NONE and (consider_all or c.total == 0 or ti.task.trigger_rule == TriggerRule.ALWAYS):
                self.loop.consider(ti)

    def verify_integrity(self, run: DagRun, dag: DAG, version: int) -> None:
        """Move a running run to a new DAG version (Airflow's DagRun.verify_integrity): new tasks get
        task instances, task instances of tasks gone from the file become removed."""
        added, removed = [], []
        run.dag = dag
        run.dag_version = version
        for task in dag.task_dict.values():
            if task.task_id not in run.tis:
                self.new_ti(run, task)
                added.append(task.task_id)
        for ti in run.tis.values():
            ti.task = dag.task_dict.get(ti.task_id)
            if ti.task is None and ti.state not in FINISHED:
                if ti.process_alive:
                    self.tis.kill_process(ti, ti.token, "task removed from the DAG")
                self.tis.set_state(ti, TI.REMOVED, "removed: the task is gone from the new DAG version", end=True)
                removed.append(ti.task_id)
            elif ti.task is not None and ti.state not in FINISHED:
                ti.dag_version = version
                ti.max_tries = ti.task.retries
                self.loop.session.add(ti)
        self.recount(run)
        self.loop.emit("DagRun verify_integrity", run.run_id,
                       f"unversioned bundle: the running run now follows v{version}"
                       + (f"; added {', '.join(added)}" if added else "")
                       + (f"; removed {', '.join(removed)}" if removed else ""),
                       run_id=run.run_id, version=version, added=added, removed=removed)

    # ------------------------------------------------------------------ ending
    def arm_timeout(self, run: DagRun) -> None:
        """Fail the run at start_date + dagrun_timeout if it is still running then."""
        timeout = run.dag.dagrun_timeout
        if timeout is not None and run.start_date is not None:
            run.timeout_timer = self.loop.arm(run.start_date + timeout, partial(self.timed_out, run))

    def cancel_timeout(self, run: DagRun) -> None:
        if run.timeout_timer is not None:
            run.timeout_timer.cancel()
            run.timeout_timer = None

    def timed_out(self, run: DagRun) -> None:
        """dagrun_timeout: unfinished task instances are skipped (running ones killed) and the run fails."""
        if run.finished:
            return
        for ti in run.tis.values():
            if ti.state not in FINISHED:
                if ti.process_alive:
                    self.tis.kill_process(ti, ti.token, "dagrun_timeout")
                self.tis.set_state(ti, TI.SKIPPED, "skipped: the DAG run hit its dagrun_timeout", end=True)
        run.state = DagRunState.FAILED
        run.end_date = self.loop.now()
        run.note = "dagrun_timeout"
        self.loop.session.add_run(run)
        self.loop.emit("DagRun failed", run.run_id, f"dagrun_timeout of {run.dag.dagrun_timeout} exceeded; "
                       "unfinished tasks skipped", Severity.ERROR, run_id=run.run_id, reason="timed_out")
        self.start_queued(run.dag_id)

    def finish_runs(self) -> None:
        """End every changed run with nothing unfinished: failed if a leaf failed, else success
        (Airflow's DagRun.update_state decides by the leaves)."""
        for run in self.loop.session.dirty_runs:
            if run.state != DagRunState.RUNNING or run.unfinished > 0:
                continue
            failed = [ti.key for t in _dagrun_state_tasks(run.dag) for ti in run.task_tis(t)
                      if ti.state in (TI.FAILED, TI.UPSTREAM_FAILED)]
            run.state = DagRunState.FAILED if failed else DagRunState.SUCCESS
            run.end_date = self.loop.now()
            self.loop.session.add_run(run)
            self.cancel_timeout(run)
            states: dict[TaskInstanceState, int] = {}
            for ti in run.tis.values():
                states[ti.state] = states.get(ti.state, 0) + 1
            summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
            self.loop.emit(f"DagRun {run.state}", run.run_id, f"{run.dag_id}: {summary}",
                           Severity.ERROR if failed else Severity.INFO, run_id=run.run_id, failed_leaves=failed)
            self.start_queued(run.dag_id)

    def start_queued(self, dag_id: str) -> None:
        """Start the oldest queued runs of a DAG while it is under max_active_runs."""
        runs = [r for r in self.loop.runs.values() if r.dag_id == dag_id]
        if not runs:
            return
        limit = runs[0].dag.max_active_runs
        running = sum(1 for r in runs if r.state == DagRunState.RUNNING)
        for r in sorted((r for r in runs if r.state == DagRunState.QUEUED), key=lambda r: r.logical_date):
            if running >= limit:
                break
            self.start_run(r)
            running += 1

    def mark_failed(self, run: DagRun) -> list[str]:
        """Airflow's only "cancel": flip an unfinished run to failed. Running (and queued,
        up_for_reschedule) task instances fail and their process is killed at the worker's next
        heartbeat; every other unfinished one is skipped. Returns the task ids that were killed."""
        loop = self.loop
        now = loop.now()
        killed = []
        for ti in run.tis.values():
            if ti.state in (TI.RUNNING, TI.UP_FOR_RESCHEDULE, TI.QUEUED, TI.DEFERRED):
                was = ti.state
                self.tis.set_state(ti, TI.FAILED, "forcefully terminated: the DAG run was marked failed; "
                                   "the task code was told nothing", Severity.WARNING, end=True, was=was)
                killed.append(ti.task_id)
                if ti.process_alive:
                    loop.arm(now + HEARTBEAT_INTERVAL + KILL_ESCALATION, partial(
                        self.tis.kill_process, ti, ti.token, "SIGTERM at the next heartbeat (HTTP 409), SIGKILL 5 s later"))
            elif ti.state not in FINISHED:
                self.tis.set_state(ti, TI.SKIPPED, "skipped: the DAG run was marked failed", end=True)
        run.state = DagRunState.FAILED
        run.end_date = now
        run.note = "marked failed"
        loop.session.add_run(run)
        self.cancel_timeout(run)
        loop.emit("DagRun marked failed", run.run_id,
                  f"Airflow's only cancel: a state flip in the metadata database; {NO_ACTOR}. "
                  f"Killed: {', '.join(killed) or 'nothing was running'}; everything not yet run is skipped, "
                  f"nothing compensates unless it was modelled as a task (and mark-failed skips that too).",
                  Severity.WARNING, run_id=run.run_id, killed=killed)
        return killed


def _dagrun_state_tasks(dag: DAG) -> list[str]:
    """The tasks whose failure fails the run (Airflow's _tis_for_dagrun_state): the leaves, where a
    teardown does not count (nor makes its upstream a non-leaf) unless on_failure_fail_dagrun."""
    def counts(t: BaseOperator) -> bool:
        return not t.is_teardown or t.on_failure_fail_dagrun

    leaves = [tid for tid, t in dag.task_dict.items()
              if counts(t) and all(not counts(dag.task_dict[d]) for d in dag.graph.succ[tid])]
    return leaves or [tid for tid in dag.task_dict if dag.graph.out_degree(tid) == 0]
