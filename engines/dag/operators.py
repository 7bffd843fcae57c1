"""The everyday operators: PythonOperator (run a callable) and EmptyOperator (a join point).

`call_with_context` is how Airflow hands a callable its context: only the keys it names (or all
of them, if it takes **kwargs), plus op_args / op_kwargs. PythonSensor pokes the same way.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

from engines.dag.dag import BaseOperator
from engines.dag.errors import DagError


def call_with_context(fn: Callable[..., Any], context: dict[str, Any], args: Sequence[Any] = (),
                      kwargs: dict[str, Any] | None = None) -> Any:
    """Call `fn` the way Airflow's PythonOperator does: context keys it names (or all, if it takes
    **kwargs) plus op_args/op_kwargs."""
    kwargs = dict(kwargs or {})
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    params = sig.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        extra = {k: v for k, v in context.items() if k not in kwargs}
    else:
        extra = {k: context[k] for k in params if k in context and k not in kwargs}
    return fn(*args, **kwargs, **extra)


class PythonOperator(BaseOperator):
    """Runs a Python callable; what it returns is pushed as XCom for downstream tasks."""

    def __init__(self, task_id: str, python_callable: Callable[..., Any], *, op_args: Sequence[Any] = (),
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not callable(python_callable):
            raise DagError(f"task {task_id!r}: python_callable must be callable")
        self.python_callable = python_callable
        self.op_args = tuple(op_args)
        self.op_kwargs = dict(op_kwargs or {})
        super().__init__(task_id, **kwargs)

    def execute(self, context: dict[str, Any]) -> Any:
        return call_with_context(self.python_callable, context, self.op_args, self.op_kwargs)


class EmptyOperator(BaseOperator):
    """Does nothing (a join point or a placeholder)."""
