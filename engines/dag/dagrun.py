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
from engines.dag.trigger_rules import RUN, WAIT, TriggerRule, UpstreamCounts, evaluate
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
        """A running DAG run of `dag` (at DAG version `version`) with a task instance per task."""
        loop = self.loop
        for task in dag.task_dict.values():
            loop.executor.pool(task.pool, f"DAG {dag.dag_id}, task {task.task_id}")
        base = run_id or f"{run_type}__{logical_date.isoformat()}"
        run_id = base
        n = 1
        while run_id in loop.runs:
            n += 1
            run_id = f"{base}.{n}"
        run = DagRun(run_id, dag.dag_id, run_type, DagRunState.RUNNING, logical_date, loop.now(),
                     dag_version=version, conf=dict(conf), dag=dag)
        loop.runs[run_id] = run
        loop.history[run_id] = []
        for task in dag.task_dict.values():
            self.new_ti(run, task)
        pred = dag.graph.pred
        for ti in run.tis.values():
            ti.counts = UpstreamCounts(total=len(pred[ti.task_id]))
            if ti.counts.total == 0 or ti.operator.trigger_rule == TriggerRule.ALWAYS:
                loop.consider(ti)  # the others wait for their upstream: each is looked at when one ends
        loop.session.add_run(run)
        loop.emit("DagRun created", run_id,
                  f"{run_type} run of {dag.dag_id} v{run.dag_version}, logical date {logical_date:%Y-%m-%d %H:%M}",
                  run_id=run_id, dag_id=dag.dag_id, run_type=run_type, logical_date=logical_date.isoformat())
        self.arm_timeout(run)
        return run

    def new_ti(self, run: DagRun, task: BaseOperator) -> TaskInstance:
        """A task instance (state none) for a task of the run."""
        ti = TaskInstance(run.run_id, task.task_id, max_tries=task.retries, pool=task.pool, dag_version=run.dag_version,
                          run=run, task=task)
        run.tis[task.task_id] = ti
        run.unfinished += 1
        self.loop.session.add(ti)
        return ti

    # ------------------------------------------------------------------ scheduling decisions
    def evaluate(self, ti: TaskInstance) -> None:
        """Apply the trigger rule to a task instance whose upstream changed: schedule it, or settle it."""
        if ti.state != TI.NONE or ti.run.state != DagRunState.RUNNING or ti.task is None:
            return
        decision = evaluate(ti.task.trigger_rule, ti.counts)
        if decision == WAIT:
            return
        if decision == RUN:
            self.tis.schedule(ti, new_try=True)
            return
        c = ti.counts
        why = (f"trigger_rule {ti.task.trigger_rule}: upstream {c.success} success, {c.failed} failed, "
               f"{c.upstream_failed} upstream_failed, {c.skipped} skipped")
        state = TaskInstanceState(decision)
        self.tis.set_state(ti, state, why, Severity.WARNING if state == TI.UPSTREAM_FAILED else Severity.INFO, end=True)

    def recount(self, run: DagRun) -> None:
        """Recount every task instance's finished upstream (after a restart or a new DAG version)."""
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

    def finish_runs(self) -> None:
        """End every changed run with nothing unfinished: failed if a leaf failed, else success
        (Airflow's DagRun.update_state decides by the leaves)."""
        for run in self.loop.session.dirty_runs:
            if run.state != DagRunState.RUNNING or run.unfinished > 0:
                continue
            leaves = [t for t in run.tis if run.dag.graph.out_degree(t) == 0]
            failed = [t for t in leaves if run.tis[t].state in (TI.FAILED, TI.UPSTREAM_FAILED)]
            run.state = DagRunState.FAILED if failed else DagRunState.SUCCESS
            run.end_date = self.loop.now()
            self.cancel_timeout(run)
            states: dict[TaskInstanceState, int] = {}
            for ti in run.tis.values():
                states[ti.state] = states.get(ti.state, 0) + 1
            summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
            self.loop.emit(f"DagRun {run.state}", run.run_id, f"{run.dag_id}: {summary}",
                           Severity.ERROR if failed else Severity.INFO, run_id=run.run_id, failed_leaves=failed)

    def mark_failed(self, run: DagRun) -> list[str]:
        """Airflow's only "cancel": flip an unfinished run to failed. Running (and queued,
        up_for_reschedule) task instances fail and their process is killed at the worker's next
        heartbeat; every other unfinished one is skipped. Returns the task ids that were killed."""
        loop = self.loop
        now = loop.now()
        killed = []
        for ti in run.tis.values():
            if ti.state in (TI.RUNNING, TI.UP_FOR_RESCHEDULE, TI.QUEUED):
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
