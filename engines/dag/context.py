"""The context a task's code receives (Airflow's template context), and `ti` for XCom.

Task code sees the task instance, the DAG run, dates, params and the virtual `now`. It never
sees the scheduler: there is no channel into a running task, which is the point of scene 12.
XCom goes through the XCom store alone, so the context needs nothing else of the scheduler.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from engines.dag.models import TaskInstance
from engines.dag.xcom import XCOM_RETURN_KEY, XCom


class TaskInstanceContext:
    """`context["ti"]`: who am I (task, run, try) and XCom pull/push."""

    def __init__(self, xcom: XCom, ti: TaskInstance) -> None:
        self._xcom = xcom
        self._ti = ti
        self.task_id = ti.task_id
        self.run_id = ti.run_id
        self.dag_id = ti.run.dag_id
        self.try_number = ti.try_number
        self.max_tries = ti.max_tries

    def xcom_pull(self, task_ids: str | Iterable[str] | None = None, key: str = XCOM_RETURN_KEY,
                  default: Any = None) -> Any:
        """One upstream value for a task id, a list for a list of ids (Airflow's behaviour); without
        task ids, the direct upstream tasks' (one value if there is one upstream task)."""
        if task_ids is None:
            upstream = sorted(self._ti.run.dag.graph.pred[self.task_id])
            task_ids = upstream[0] if len(upstream) == 1 else upstream
        if isinstance(task_ids, str):
            return self._xcom.pull(self.run_id, task_ids, key, default)
        return self._xcom.pull_many(self.run_id, task_ids, key, default)

    def xcom_push(self, key: str, value: Any) -> None:
        """Push a value under `key` for downstream tasks (Airflow's `ti.xcom_push`); XComError if it
        is not small JSON."""
        self._xcom.push(self._ti, key, value)


def make_context(xcom: XCom, ti: TaskInstance, now: datetime) -> dict[str, Any]:
    """The keyword arguments a task's callable may ask for by name (Airflow's context keys)."""
    run = ti.run
    dag = run.dag
    ti_ctx = TaskInstanceContext(xcom, ti)
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
        "params": {**dag.params, **run.conf},
        "conf": run.conf,
        "try_number": ti.try_number,
        "now": now,
    }
