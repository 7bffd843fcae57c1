"""TaskFlow: `@task`, `@task.branch`, `@task.short_circuit`, `@setup`, `@teardown` and `@dag`
(Airflow's airflow/sdk/bases/decorator.py and definitions/decorators).

Calling a decorated function inside a DAG does not run it: it adds a task (task_id = the
function's name, `name__1`, `name__2`… when repeated) and returns an XComArg for its output.
XComArgs passed as arguments become upstream dependencies, and are replaced by their values
when the task runs: `total(extract())`. `.expand()` / `.partial()` map it (mapping.py);
`.override(task_id=..., retries=...)` changes its operator arguments. `multiple_outputs`
(inferred, as in Airflow, from a `-> dict[...]` return annotation) pushes each key of the
returned dict as its own XCom besides the whole.
"""

from __future__ import annotations

import re
import typing
from typing import Any, Callable

from engines.dag import contextmanager as ctx
from engines.dag.dag import DAG
from engines.dag.errors import DagError
from engines.dag.mapping import OperatorPartial
from engines.dag.operators import BranchPythonOperator, PythonOperator, ShortCircuitOperator
from engines.dag.xcomarg import XComArg, iter_xcom_args


def _infer_multiple_outputs(fn: Callable[..., Any]) -> bool:
    """Airflow's rule: True when the function is annotated to return a dict."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - an annotation that does not resolve infers nothing, as in Airflow
        return False
    ret = hints.get("return")
    if ret is None:
        return False
    origin = typing.get_origin(ret) or ret
    return origin is dict or origin is typing.Dict  # noqa: UP006 - the typing alias is what Airflow checks too


def unique_task_id(task_id: str) -> str:
    """Airflow's get_unique_task_id: `name`, then `name__1`, `name__2`… within the DAG (and group)."""
    dag = ctx.current_dag()
    group = ctx.current_task_group()
    if group is not None:
        dag = group.dag
    if dag is None:
        return task_id

    def full(tid: str) -> str:
        return group.child_id(tid) if group is not None else tid

    if full(task_id) not in dag.task_dict:
        return task_id
    core = re.split(r"__\d+$", task_id)[0]
    pattern = re.compile(rf"^{re.escape(full(core))}__(\d+)$")
    suffixes = sorted(int(m.group(1)) for tid in dag.task_dict if (m := pattern.match(tid)))
    return f"{core}__{suffixes[-1] + 1 if suffixes else 1}"


class _TaskDecorator:
    """A decorated function: call it (or .expand it) inside a DAG to add a task."""

    def __init__(self, function: Callable[..., Any], operator_class: type[PythonOperator],
                 multiple_outputs: bool | None, kwargs: dict[str, Any], *, role: str = "") -> None:
        if not callable(function):
            raise DagError(f"@task: {function!r} is not a function")
        self.function = function
        self.operator_class = operator_class
        self.multiple_outputs = _infer_multiple_outputs(function) if multiple_outputs is None else multiple_outputs
        self.kwargs = dict(kwargs)
        self.role = role  # "setup", "teardown" or ""
        self.on_failure_fail_dagrun = False
        self.__name__ = getattr(function, "__name__", "task")
        self.__doc__ = getattr(function, "__doc__", None)

    def _build(self, op_args: tuple[Any, ...], op_kwargs: dict[str, Any], extra: dict[str, Any]) -> PythonOperator:
        kwargs = {**self.kwargs, **extra}
        task_id = unique_task_id(kwargs.pop("task_id", self.__name__))
        op = self.operator_class(task_id=task_id, python_callable=self.function, op_args=op_args, op_kwargs=op_kwargs,
                                 multiple_outputs=self.multiple_outputs, **kwargs)
        for arg in iter_xcom_args([list(op_args), op_kwargs]):
            arg.operator >> op
        if self.role == "setup":
            op.as_setup()
        elif self.role == "teardown":
            op.as_teardown(on_failure_fail_dagrun=self.on_failure_fail_dagrun)
        return op

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        return XComArg(self._build(args, kwargs, {}))

    def override(self, **kwargs: Any) -> "_TaskDecorator":
        """The same function with other operator arguments (task_id, retries, trigger_rule…)."""
        dec = _TaskDecorator(self.function, self.operator_class, self.multiple_outputs, {**self.kwargs, **kwargs},
                             role=self.role)
        dec.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        return dec

    def partial(self, **kwargs: Any) -> OperatorPartial:
        """Arguments every mapped task instance shares; `.expand(...)` maps the others."""
        def build(op_kwargs: dict[str, Any]) -> PythonOperator:
            return self._build((), op_kwargs, {})
        partial = OperatorPartial(self.operator_class, kwargs, into_op_kwargs=True, build=build)
        partial.rule = self.kwargs.get("trigger_rule")
        return partial

    def expand(self, **mapped: Any) -> XComArg:
        out: XComArg = self.partial().expand(**mapped)
        return out

    def expand_kwargs(self, kwargs_list: Any) -> XComArg:
        out: XComArg = self.partial().expand_kwargs(kwargs_list)
        return out


def _decorator(operator_class: type[PythonOperator], role: str = "") -> Callable[..., Any]:
    def make(python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None,
             **kwargs: Any) -> Any:
        if python_callable is not None:
            return _TaskDecorator(python_callable, operator_class, multiple_outputs, kwargs, role=role)
        return lambda fn: _TaskDecorator(fn, operator_class, multiple_outputs, kwargs, role=role)
    return make


class _TaskNamespace:
    """`task` itself decorates as @task.python; `task.branch` and `task.short_circuit` as Airflow's."""

    def __init__(self) -> None:
        self.python = _decorator(PythonOperator)
        self.branch = _decorator(BranchPythonOperator)
        self.short_circuit = _decorator(ShortCircuitOperator)

    def __call__(self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None,
                 **kwargs: Any) -> Any:
        return self.python(python_callable, multiple_outputs=multiple_outputs, **kwargs)


#: `@task`, `@task(retries=2)`, `@task.branch`, `@task.short_circuit`.
task = _TaskNamespace()
#: `@setup`: a TaskFlow task marked as a setup.
setup = _decorator(PythonOperator, "setup")


def teardown(python_callable: Callable[..., Any] | None = None, *, on_failure_fail_dagrun: bool = False,
             **kwargs: Any) -> Any:
    """`@teardown`: a TaskFlow task marked as a teardown (its failure fails the run only with
    on_failure_fail_dagrun=True)."""
    def wrap(fn: Callable[..., Any]) -> _TaskDecorator:
        dec = _TaskDecorator(fn, PythonOperator, None, kwargs, role="teardown")
        dec.on_failure_fail_dagrun = on_failure_fail_dagrun
        return dec
    return wrap(python_callable) if python_callable is not None else wrap


def dag(dag_id: str | None = None, **dag_kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., DAG]]:
    """`@dag(schedule=None, ...)` on a function: calling it builds the DAG (dag_id = its name) by
    running the function inside `with DAG(...)`."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., DAG]:
        def build(*args: Any, **kwargs: Any) -> DAG:
            with DAG(dag_id or fn.__name__, **dag_kwargs) as d:
                fn(*args, **kwargs)
            return d
        build.__name__ = fn.__name__
        return build
    return wrap
