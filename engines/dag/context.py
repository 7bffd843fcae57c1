"""The context a task's code receives (Airflow's template context), and `ti` for XCom.

Task code sees the task instance, the DAG run, dates, params and the virtual `now`. It never
sees the scheduler: there is no channel into a running task, which is the point of scene 12.
XCom goes through the XCom store alone, so the context needs nothing else of the scheduler.
`get_current_context()` hands the running try's context to code that was not given it.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any, Iterable

from engines.dag.errors import DagError
from engines.dag.models import TaskInstance
from engines.dag.templating import MACROS
from engines.dag.xcom import XCOM_RETURN_KEY, XCom

_NOTSET: Any = object()
_current: ContextVar[dict[str, Any] | None] = ContextVar("engines_dag_current_context", default=None)


class TaskInstanceContext:
    """`context["ti"]`: who am I (task, run, try, map index) and XCom pull/push."""

    def __init__(self, xcom: XCom, ti: TaskInstance) -> None:
        self._xcom = xcom
        self._ti = ti
        self.task_id = ti.task_id
        self.run_id = ti.run_id
        self.dag_id = ti.run.dag_id
        self.try_number = ti.try_number
        self.max_tries = ti.max_tries
        self.map_index = ti.map_index

    def xcom_pull(self, task_ids: str | Iterable[str] | None = None, key: str = XCOM_RETURN_KEY,
                  default: Any = None, *, map_indexes: int | Iterable[int] | None = _NOTSET) -> Any:
        """Airflow 3.3's RuntimeTaskInstance.xcom_pull: task_ids None means this task; one task id
        gives one value (a mapped task's values as a list, unless it has exactly one), a list of
        ids gives a list; `map_indexes` picks map indexes."""
        single = isinstance(task_ids, (str, type(None)))
        ids = [self.task_id] if task_ids is None else [task_ids] if isinstance(task_ids, str) else list(task_ids)
        out: list[Any] = []
        if map_indexes is _NOTSET:
            for tid in ids:
                values = self._xcom.pull_all(self.run_id, tid, key)
                if values is None:
                    out.append(default)
                else:
                    out.extend(values)
            return out[0] if single and len(out) == 1 else out
        single_index = isinstance(map_indexes, (int, type(None)))
        if isinstance(map_indexes, int):
            indexes = [map_indexes]
        elif map_indexes is None:
            indexes = [-1]
        else:
            indexes = [int(i) for i in map_indexes]
        for tid in ids:
            for i in indexes:
                out.append(self._xcom.pull(self.run_id, tid, key, default, map_index=i))
        return out[0] if single and single_index else out

    def xcom_push(self, key: str, value: Any) -> None:
        """Push a value under `key` for downstream tasks (Airflow's `ti.xcom_push`)."""
        self._xcom.push(self._ti, key, value)

    def __repr__(self) -> str:
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id} map_index={self.map_index} [running]>"


def make_context(xcom: XCom, ti: TaskInstance, now: datetime) -> dict[str, Any]:
    """The keyword arguments a task's callable may ask for by name (Airflow's context keys)."""
    run = ti.run
    dag = run.dag
    ti_ctx = TaskInstanceContext(xcom, ti)
    logical = run.logical_date
    params = {**dag.params, **run.conf}
    return {
        **dag.user_defined_macros,
        "dag": dag,
        "task": ti.task,
        "ti": ti_ctx,
        "task_instance": ti_ctx,
        "run_id": run.run_id,
        "dag_run": run,
        "logical_date": logical,
        "ds": logical.date().isoformat(),
        "ds_nodash": logical.strftime("%Y%m%d"),
        "ts": logical.isoformat(),
        "ts_nodash": logical.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": logical.isoformat().replace("-", "").replace(":", ""),
        "data_interval_start": run.data_interval_start,
        "data_interval_end": run.data_interval_end,
        "params": params,
        "conf": run.conf,
        "macros": MACROS,
        "map_index_template": None,
        "try_number": ti.try_number,
        "now": now,
    }


def set_current_context(context: dict[str, Any] | None) -> Any:
    """While a try's code runs, `get_current_context()` returns its context (returns a reset token)."""
    return _current.set(context)


def reset_current_context(token: Any) -> None:
    _current.reset(token)


def get_current_context() -> dict[str, Any]:
    """The running try's context (Airflow's airflow.sdk.get_current_context); an error outside one."""
    context = _current.get()
    if context is None:
        raise DagError("get_current_context() was called outside a running task")
    return context
