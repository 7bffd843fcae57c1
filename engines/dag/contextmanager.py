"""The DAG and TaskGroup a task created inside `with DAG(...)` / `with TaskGroup(...)` belongs to
(Airflow's DagContext and TaskGroupContext, airflow/sdk/definitions/_internal/contextmanager.py).

They are context variables, not module-level lists: two threads (or asyncio tasks) building DAGs
at once each see their own.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

#: The DAGs whose `with` blocks are open, innermost last.
_dags: ContextVar[tuple[Any, ...]] = ContextVar("engines_dag_current_dag", default=())
#: The task groups whose `with` blocks are open, innermost last.
_groups: ContextVar[tuple[Any, ...]] = ContextVar("engines_dag_current_task_group", default=())


def push_dag(dag: Any) -> None:
    _dags.set(_dags.get() + (dag,))


def pop_dag() -> None:
    _dags.set(_dags.get()[:-1])


def current_dag() -> Any | None:
    """The innermost open DAG, or None."""
    dags = _dags.get()
    return dags[-1] if dags else None


def push_task_group(group: Any) -> None:
    _groups.set(_groups.get() + (group,))


def pop_task_group() -> None:
    _groups.set(_groups.get()[:-1])


def current_task_group() -> Any | None:
    """The innermost open TaskGroup, or None (the DAG's root group)."""
    groups = _groups.get()
    return groups[-1] if groups else None
