"""DAGs and tasks with Airflow's shape: `DAG(...)` as a context manager, `BaseOperator`, `>>` / `<<`.

A networkx `DiGraph` holds the dependencies. Cycles are found when the DAG is checked (as
Airflow's DagBag does when it parses a file), not on every `>>`, so building a 10,000-task DAG
stays linear. The DAG and its operators know each other (a task belongs to one DAG, a DAG lists
its tasks), so they live in one module; the concrete operators are in operators.py and sensors.py.

The "current DAG" of `with DAG(...)` is a context variable, not a module-level list: two threads
(or two asyncio tasks) building DAGs at once each see their own.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Self, Sequence, TypeVar, overload

import networkx as nx

from engines.dag.errors import AirflowDagCycleException, DagError, DuplicateTaskIdFound, TaskNotFound
from engines.dag.schedules import timetable_for
from engines.dag.trigger_rules import TriggerRule, check_trigger_rule

#: Airflow's defaults ([core] default_task_retries, default_task_retry_delay, max_task_retry_delay).
DEFAULT_RETRIES = 0
DEFAULT_RETRY_DELAY = timedelta(seconds=300)
MAX_RETRY_DELAY = timedelta(seconds=86400)
DEFAULT_POOL = "default_pool"

#: What a task's callback receives: the task's context (see context.py).
Callback = Callable[[dict[str, Any]], None]

_UNSET: Any = object()
#: What `>>` / `<<` accept and hand back: one task or a list of tasks.
_Deps = TypeVar("_Deps", bound="BaseOperator | Sequence[BaseOperator]")
#: The DAGs whose `with` blocks are open in this thread / task, innermost last.
_dag_context: ContextVar[tuple["DAG", ...]] = ContextVar("engines_dag_current_dag", default=())


@overload
def as_timedelta(value: None, what: str) -> None: ...


@overload
def as_timedelta(value: timedelta | float, what: str) -> timedelta: ...


def as_timedelta(value: timedelta | float | None, what: str) -> timedelta | None:
    """Seconds or a timedelta, as Airflow accepts both."""
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    raise DagError(f"{what}: expected seconds or a timedelta, got {value!r}")


class DAG:
    """A directed acyclic graph of tasks with a schedule.

    `schedule`: None (manual only), "@once", a preset ("@daily"…), a cron expression or a
    timedelta. `catchup` defaults to False, as in Airflow 3. `default_args` fill in any operator
    argument the task does not set itself.
    """

    def __init__(
        self,
        dag_id: str,
        schedule: str | timedelta | None = None,
        start_date: datetime | None = None,
        catchup: bool = False,
        default_args: dict[str, Any] | None = None,
        dagrun_timeout: timedelta | None = None,
        *,
        description: str = "",
        max_active_tasks: int = 16,
        params: dict[str, Any] | None = None,
    ) -> None:
        if not dag_id or not all(ch.isalnum() or ch in "_-." for ch in dag_id):
            raise DagError(f"dag_id {dag_id!r}: use letters, digits, '_', '-' and '.' only")
        self.dag_id = dag_id
        self.schedule = schedule
        self.start_date = start_date
        self.catchup = catchup
        self.default_args = dict(default_args or {})
        self.dagrun_timeout = as_timedelta(dagrun_timeout, f"DAG {dag_id}: dagrun_timeout")
        self.description = description
        self.max_active_tasks = max_active_tasks
        self.params = dict(params or {})
        self.task_dict: dict[str, BaseOperator] = {}
        self.graph = nx.DiGraph()
        self._topological: list[str] | None = None  # cached; add_task and _add_edge forget it
        if schedule is not None:
            timetable_for(schedule, where=f"DAG {dag_id}")  # refuse a bad schedule now

    # --- context manager: tasks created inside belong to this DAG ------------------------------
    def __enter__(self) -> "DAG":
        _dag_context.set(_dag_context.get() + (self,))
        return self

    def __exit__(self, *exc: object) -> None:
        _dag_context.set(_dag_context.get()[:-1])

    # --- building -------------------------------------------------------------------------------
    def add_task(self, task: "BaseOperator") -> None:
        if task.task_id in self.task_dict:
            raise DuplicateTaskIdFound(f"DAG {self.dag_id}: task_id {task.task_id!r} has already been added to the DAG")
        self.task_dict[task.task_id] = task
        self.graph.add_node(task.task_id)
        self._topological = None
        task.dag = self

    def _add_edge(self, upstream: str, downstream: str) -> None:
        """`upstream >> downstream` by task id (both tasks are in this DAG)."""
        self.graph.add_edge(upstream, downstream)
        self._topological = None

    @property
    def tasks(self) -> list["BaseOperator"]:
        """The DAG's tasks in the order they were added (Airflow's `DAG.tasks`)."""
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        """The task ids in the order they were added (Airflow's `DAG.task_ids`)."""
        return list(self.task_dict)

    def get_task(self, task_id: str) -> "BaseOperator":
        """The task with this id; TaskNotFound (a DagError) naming the tasks there are, as Airflow raises."""
        try:
            return self.task_dict[task_id]
        except KeyError:
            raise TaskNotFound(f"DAG {self.dag_id}: no task {task_id!r}; tasks: {', '.join(self.task_dict)}") from None

    def check_cycle(self) -> None:
        """Raise `AirflowDagCycleException` naming the cycle, e.g. `a >> b >> c >> a`."""
        if nx.is_directed_acyclic_graph(self.graph):  # linear; find_cycle is not, on big DAGs
            return
        try:
            cycle = nx.find_cycle(self.graph)
        except nx.NetworkXNoCycle:
            return
        path = [edge[0] for edge in cycle] + [cycle[0][0]]
        raise AirflowDagCycleException(f"DAG {self.dag_id}: cycle detected: {' >> '.join(path)}")

    def topological_order(self) -> list[str]:
        """Task ids upstream first (the grid's row order); refuses a cyclic DAG. Worked out once per
        structure (a grid of a 10,000-task run reads it on every call)."""
        if self._topological is None:
            self.check_cycle()
            self._topological = list(nx.topological_sort(self.graph))
        return list(self._topological)

    def version_hash(self) -> str:
        """A fingerprint of the DAG's structure: a change makes a new DAG version (Airflow 3)."""
        h = hashlib.sha1(usedforsecurity=False)
        for tid in sorted(self.task_dict):
            t = self.task_dict[tid]
            h.update(f"{tid}|{type(t).__name__}|{t.trigger_rule}|{sorted(self.graph.successors(tid))}\n".encode())
        return h.hexdigest()[:12]

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"


class BaseOperator:
    """One task. Arguments and defaults are Airflow's; `duration` is this simulator's own: how long
    the work takes on the virtual clock (real tasks simply take real time)."""

    def __init__(
        self,
        task_id: str,
        *,
        dag: DAG | None = None,
        retries: int = _UNSET,
        retry_delay: timedelta | float = _UNSET,
        retry_exponential_backoff: float = _UNSET,
        max_retry_delay: timedelta | float | None = _UNSET,
        execution_timeout: timedelta | float | None = _UNSET,
        trigger_rule: TriggerRule | str = _UNSET,
        pool: str = _UNSET,
        pool_slots: int = _UNSET,
        priority_weight: int = _UNSET,
        duration: timedelta | float = _UNSET,
        on_failure_callback: Callback | None = _UNSET,
        on_success_callback: Callback | None = _UNSET,
    ) -> None:
        current = _dag_context.get()
        dag = dag or (current[-1] if current else None)
        if dag is None:
            raise DagError(f"task {task_id!r}: create it inside `with DAG(...)` or pass dag=")
        if not task_id or not all(ch.isalnum() or ch in "_-." for ch in task_id):
            raise DagError(f"DAG {dag.dag_id}: task_id {task_id!r}: use letters, digits, '_', '-' and '.' only")
        d = dag.default_args
        where = f"DAG {dag.dag_id}, task {task_id}"

        def arg(name: str, value: Any, default: Any) -> Any:
            return d.get(name, default) if value is _UNSET else value

        self.task_id = task_id
        self.retries = int(arg("retries", retries, DEFAULT_RETRIES))
        self.retry_delay: timedelta = as_timedelta(arg("retry_delay", retry_delay, DEFAULT_RETRY_DELAY),
                                                   f"{where}: retry_delay")
        backoff = arg("retry_exponential_backoff", retry_exponential_backoff, 0.0)
        # Airflow 2 took a bool (True meant a multiplier of 2); Airflow 3.3 takes the multiplier.
        self.retry_exponential_backoff = 2.0 if backoff is True else float(backoff or 0.0)
        self.max_retry_delay: timedelta | None = as_timedelta(arg("max_retry_delay", max_retry_delay, None),
                                                              f"{where}: max_retry_delay")
        self.execution_timeout: timedelta | None = as_timedelta(arg("execution_timeout", execution_timeout, None),
                                                                f"{where}: execution_timeout")
        self.trigger_rule = check_trigger_rule(arg("trigger_rule", trigger_rule, TriggerRule.ALL_SUCCESS), where)
        self.pool: str = arg("pool", pool, DEFAULT_POOL)
        self.pool_slots = int(arg("pool_slots", pool_slots, 1))
        if self.pool_slots < 1:
            raise DagError(f"{where}: pool_slots must be at least 1, got {self.pool_slots}")
        if self.retries < 0:
            raise DagError(f"{where}: retries must be 0 or more, got {self.retries}")
        self.priority_weight = int(arg("priority_weight", priority_weight, 1))
        self.duration: timedelta = as_timedelta(arg("duration", duration, timedelta(0)), f"{where}: duration")
        self.on_failure_callback: Callback | None = arg("on_failure_callback", on_failure_callback, None)
        self.on_success_callback: Callback | None = arg("on_success_callback", on_success_callback, None)
        self.dag: DAG = dag
        dag.add_task(self)

    # --- what a worker runs -------------------------------------------------------------------
    def execute(self, context: dict[str, Any]) -> Any:
        """Do the task's work; the return value becomes the `return_value` XCom."""
        return None

    # --- dependencies -------------------------------------------------------------------------
    def set_downstream(self, other: "BaseOperator | Sequence[BaseOperator]") -> None:
        for t in _as_list(other):
            if t.dag is not self.dag:
                raise DagError(f"{self.task_id} >> {t.task_id}: tasks belong to different DAGs")
            self.dag._add_edge(self.task_id, t.task_id)

    def set_upstream(self, other: "BaseOperator | Sequence[BaseOperator]") -> None:
        for t in _as_list(other):
            t.set_downstream(self)

    # `a >> b` returns b, so chains read left to right: a >> b >> c.
    def __rshift__(self, other: _Deps) -> _Deps:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: _Deps) -> _Deps:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Sequence[BaseOperator]) -> Self:  # [a, b] >> self
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Sequence[BaseOperator]) -> Self:  # [a, b] << self
        self.set_downstream(other)
        return self

    @property
    def upstream_task_ids(self) -> set[str]:
        """Ids of the tasks this one waits for (Airflow's `BaseOperator.upstream_task_ids`)."""
        return set(self.dag.graph.predecessors(self.task_id))

    @property
    def downstream_task_ids(self) -> set[str]:
        """Ids of the tasks that wait for this one (Airflow's `BaseOperator.downstream_task_ids`)."""
        return set(self.dag.graph.successors(self.task_id))

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"


def _as_list(other: "BaseOperator | Iterable[BaseOperator]") -> list[BaseOperator]:
    if isinstance(other, BaseOperator):
        return [other]
    items = list(other)
    for t in items:
        if not isinstance(t, BaseOperator):
            raise DagError(f"cannot set a dependency on {t!r}: not a task")
    return items
