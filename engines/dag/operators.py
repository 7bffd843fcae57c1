"""The everyday operators (Airflow's standard provider, operators/python.py and empty.py):
PythonOperator, BranchPythonOperator, ShortCircuitOperator and EmptyOperator.

`call_with_context` is how Airflow hands a callable its context: only the keys it names (or all
of them, if it takes **kwargs), plus op_args / op_kwargs. PythonSensor pokes the same way.

Branching and short-circuiting skip tasks the way Airflow 3's SkipMixin does: the task raises
DownstreamTasksSkipped naming what to skip, the scheduler sets those task instances skipped
(leaving any already running or finished alone) and marks the task itself success.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence

from engines.dag.dag import BaseOperator
from engines.dag.errors import AirflowException, DagError, DownstreamTasksSkipped


@lru_cache(maxsize=1024)
def _parameters(fn: Callable[..., Any]) -> tuple[tuple[str, ...], tuple[str, ...], bool] | None:
    """What `call_with_context` needs of `fn`'s signature (its positional names, all its names,
    whether it takes **kwargs), worked out once per callable: a mapped task calls the same
    function for every instance. None when Python cannot tell (a builtin)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    positional = tuple(p.name for p in params.values()
                       if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD))
    return positional, tuple(params), any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def call_with_context(fn: Callable[..., Any], context: dict[str, Any], args: Sequence[Any] = (),
                      kwargs: dict[str, Any] | None = None) -> Any:
    """Call `fn` the way Airflow's PythonOperator does: context keys it names (or all, if it takes
    **kwargs) plus op_args/op_kwargs."""
    kwargs = dict(kwargs or {})
    try:
        found = _parameters(fn)
    except TypeError:  # an unhashable callable: not cached
        found = _parameters.__wrapped__(fn)
    if found is None:
        return fn(*args, **kwargs)
    positional, names, var_keyword = found
    taken = set(kwargs) | set(positional[: len(args)])
    if var_keyword:
        extra = {k: v for k, v in context.items() if k not in taken}
    else:
        extra = {k: context[k] for k in names if k in context and k not in taken}
    return fn(*args, **kwargs, **extra)


class PythonOperator(BaseOperator):
    """Runs a Python callable; what it returns is pushed as XCom for downstream tasks.
    `op_args`, `op_kwargs` and `templates_dict` are rendered with Jinja before each try."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")

    def __init__(self, task_id: str | None = None, python_callable: Callable[..., Any] | None = None, *,
                 op_args: Sequence[Any] | None = None, op_kwargs: dict[str, Any] | None = None,
                 templates_dict: dict[str, Any] | None = None, show_return_value_in_logs: bool = True,
                 **kwargs: Any) -> None:
        if task_id is None:
            raise DagError("PythonOperator: task_id is required")
        if not callable(python_callable):
            raise DagError(f"task {task_id!r}: python_callable must be callable")
        self.python_callable = python_callable
        self.op_args = list(op_args or ())
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict
        self.show_return_value_in_logs = show_return_value_in_logs
        super().__init__(task_id, **kwargs)

    def execute(self, context: dict[str, Any]) -> Any:
        if self.templates_dict is not None:
            context = {**context, "templates_dict": self.templates_dict}
        return call_with_context(self.python_callable, context, self.op_args, self.op_kwargs)


class EmptyOperator(BaseOperator):
    """Does nothing (a join point or a placeholder)."""


def _branch_ids(result: Any, task: BaseOperator) -> set[str]:
    """The task ids a branch callable chose (a task group id stands for the group's roots)."""
    if result is None:
        return set()
    if isinstance(result, str):
        chosen = {result}
    elif isinstance(result, Iterable):
        chosen = set(result)
        bad = {c for c in chosen if not isinstance(c, str)}
        if bad:
            raise AirflowException(f"Unable to branch to the specified tasks. The branching function returned "
                                   f"invalid 'branch_task_ids': {bad}")
    else:
        raise AirflowException(f"'branch_task_ids' must be either None, a task ID, or an Iterable of IDs, "
                               f"but got {type(result).__name__!r}.")
    dag = task.dag
    out: set[str] = set()
    for c in chosen:
        group = dag.task_group_dict.get(c)
        if group is not None:
            out.update(t.task_id for t in group.roots)
        elif c in dag.task_dict:
            out.add(c)
        else:
            raise AirflowException(f"'branch_task_ids' must contain only valid task_ids. Invalid tasks found: {{{c!r}}}.")
    return out


def skip_all_except(task: BaseOperator, result: Any) -> None:
    """Airflow's SkipMixin.skip_all_except: skip the direct downstream tasks not chosen, keeping
    any that is also downstream of a chosen one (the join of an empty branch)."""
    follow = _branch_ids(result, task)
    for tid in list(follow):
        follow.update(task.dag.get_task(tid).get_flat_relative_ids(upstream=False))
    to_skip = sorted(t for t in task.downstream_task_ids if t not in follow)
    if to_skip:
        raise DownstreamTasksSkipped(to_skip, result)


class BranchPythonOperator(PythonOperator):
    """Runs a callable that returns the task id(s) (or task group ids) to follow; every other task
    directly downstream is skipped, and what follows them by their trigger rules."""

    def execute(self, context: dict[str, Any]) -> Any:
        result = super().execute(context)
        skip_all_except(self, result)
        return result


class ShortCircuitOperator(PythonOperator):
    """Runs a callable; a falsy result skips everything downstream (all of it, whatever their
    trigger rules, with ignore_downstream_trigger_rules=True, the default; only the direct
    downstream tasks otherwise). Teardowns are never skipped."""

    def __init__(self, task_id: str | None = None, python_callable: Callable[..., Any] | None = None, *,
                 ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules
        super().__init__(task_id, python_callable, **kwargs)

    def execute(self, context: dict[str, Any]) -> Any:
        condition = super().execute(context)
        if condition or not self.downstream_task_ids:
            return condition
        ids = (self.get_flat_relative_ids(upstream=False) if self.ignore_downstream_trigger_rules
               else self.downstream_task_ids)
        to_skip = sorted(t for t in ids if not self.dag.task_dict[t].is_teardown)
        if to_skip:
            raise DownstreamTasksSkipped(to_skip, condition)
        return condition
