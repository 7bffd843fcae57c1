"""A new scheduler continues where the last one stopped: the in-memory model, rebuilt from the
metadata database, and whatever was pending re-armed on the clock.

Nothing survives a scheduler but its metadata database, as in Airflow. Task instances the old
executor had scheduled or queued wait for a slot again (Airflow's adopt_or_reset_orphaned_tasks:
that queue died with the process; no code of theirs ran, since a try is committed as running
before its code starts). A running one lost its worker: the new scheduler waits out the
heartbeat timeout (Airflow 3's task_instance_heartbeat_timeout) and fails the try, so it runs
again as a new try, or fails for good once its retries are used up; a finished one is never run
again. Retries, reschedules and deferred triggers wait for their dates again.
"""

from __future__ import annotations

from functools import partial
from typing import Mapping

from engines.dag.dag import DAG
from engines.dag.dagrun import DagRunLifecycle
from engines.dag.deferral import Triggerer
from engines.dag.loop import SchedulerLoop
from engines.dag.metadata import MetadataDB
from engines.dag.models import DagRun, TaskInstance
from engines.dag.states import FINISHED, TI, DagRunState
from engines.dag.taskinstance import TaskInstanceLifecycle
from engines.dag.xcom import XCom
from engines.trace import Severity


def load_from_metadata(loop: SchedulerLoop, meta: MetadataDB, dags: Mapping[str, DAG], xcom: XCom,
                       runs: DagRunLifecycle, tis: TaskInstanceLifecycle, triggerer: Triggerer) -> None:
    """Rebuild the runs of known DAGs (not yet in memory) from `meta` and re-arm what was pending."""
    for row in meta.runs():
        dag = dags.get(row["dag_id"])
        if dag is None or row["run_id"] in loop.runs:
            continue
        run = DagRun(row["run_id"], row["dag_id"], row["run_type"], row["state"], row["logical_date"],
                     row["start_date"], row["end_date"], row["dag_version"], row["conf"], row["note"], dag=dag)
        loop.runs[run.run_id] = run
        loop.history[run.run_id] = [
            {"task_id": h["task_id"], "map_index": h["map_index"], "try_number": h["try_number"], "state": h["state"], "start": h["start_date"],
             "end": h["end_date"], "slot_seconds": h["slot_seconds"], "pokes": h["pokes"]}
            for h in meta.history(run.run_id)]
        for r in meta.task_instances(run.run_id):
            ti = TaskInstance(**r, run=run, task=dag.task_dict.get(r["task_id"]))
            run.add_ti(ti)
            if ti.state not in FINISHED:
                run.unfinished += 1
        xcom.restore(run.run_id, meta.xcoms(run.run_id))
        if run.finished:
            continue
        for task in dag.task_dict.values():
            if not run.task_tis(task.task_id):
                runs.new_ti(run, task)
        loop.session.add_run(run)  # its end is decided again (every task may have finished before the stop)
        if run.state != DagRunState.RUNNING:
            continue  # queued under max_active_runs: it starts when a running one ends
        runs.recount(run)
        runs.arm_timeout(run)
        loop.emit("Scheduler restarted", run.run_id, "picked up the DAG run from the metadata database",
                  run_id=run.run_id)
        for ti in run.tis.values():
            _adopt(loop, tis, triggerer, ti)


def _adopt(loop: SchedulerLoop, tis: TaskInstanceLifecycle, triggerer: Triggerer, ti: TaskInstance) -> None:
    """Re-arm what an unfinished task instance was waiting for when the last scheduler stopped."""
    if ti.state in (TI.SCHEDULED, TI.QUEUED):
        # adopt_or_reset_orphaned_tasks: the old executor's queue is gone; no code of this try ran
        # (a try is committed as running before its code starts), so it waits for a slot again
        ti.state = TI.SCHEDULED
        loop.session.add(ti)
        loop.push_ready(ti, ti.run.dag.priority_weight_total(ti.task_id))
    elif ti.state == TI.RUNNING:
        loop.emit("Worker lost", ti.key, f"try {ti.try_number} was running when the previous scheduler stopped; "
                  "its worker is gone, and the scheduler fails the try when its heartbeat times out",
                  Severity.WARNING, run_id=ti.run_id, try_number=ti.try_number)
        tis.arm_heartbeat_timeout(ti)
    elif ti.state == TI.UP_FOR_RETRY:
        loop.arm(ti.next_at or loop.now(), partial(tis.retry_due, ti, ti.token))
    elif ti.state == TI.UP_FOR_RESCHEDULE:
        loop.arm(ti.next_at or loop.now(), partial(tis.reschedule_due, ti, ti.token))
    elif ti.state == TI.DEFERRED:
        triggerer.arm(ti)  # the triggerer picks its trigger up again
