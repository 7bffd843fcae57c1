"""The context a task's code receives (Airflow's template context), and `ti` for XCom.

Task code sees the task instance, the DAG run, dates, params and the virtual `now`. It never
sees the scheduler: there is no channel into a running task, which is the point of scene 12.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from engines.dag.models import TaskInstance
    from engines.dag.scheduler import Scheduler


class TaskInstanceContext:
    """`context["ti"]`: who am I (task, run, try) and XCom pull/push."""

    def __init__(self, scheduler: "Scheduler", ti: "TaskInstance") -> None:
        self._scheduler = scheduler
        self._ti = ti
        self.task_id = ti.task_id
        self.run_id = ti.run_id
        self.dag_id = ti.run.dag_id
        self.try_number = ti.try_number
        self.max_tries = ti.max_tries

    def xcom_pull(self, task_ids: str | Iterable[str] | None = None, key: str = "return_value", default: Any = None) -> Any:
        """One upstream value for a task id, a list for a list of ids (Airflow's behaviour)."""
        if task_ids is None:
            task_ids = sorted(self._ti.run.dag.graph.pred[self.task_id]) if self._ti.run.dag else []
            if len(task_ids) == 1:
                task_ids = task_ids[0]
        if isinstance(task_ids, str):
            return self._scheduler.xcom.get((self.run_id, task_ids, key), default)
        return [self._scheduler.xcom.get((self.run_id, t, key), default) for t in task_ids]

    def xcom_push(self, key: str, value: Any) -> None:
        self._scheduler._push_xcom(self._ti, key, value)


def make_context(scheduler: "Scheduler", ti: "TaskInstance") -> dict[str, Any]:
    run = ti.run
    dag = run.dag
    ti_ctx = TaskInstanceContext(scheduler, ti)
    logical = run.logical_date
    return {
        "dag": dag,
        "task": ti.task,
        "ti": ti_ctx,
        "task_instance": ti_ctx,
        "run_id": run.run_id,
        "dag_run": run,
        "logical_date": logical,
        "ds": logical.date().isoformat(),
        "ts": logical.isoformat(),
        "data_interval_start": run.data_interval_start,
        "data_interval_end": run.data_interval_end,
        "params": {**(dag.params if dag else {}), **run.conf},
        "conf": run.conf,
        "try_number": ti.try_number,
        "now": scheduler.now(),
    }
