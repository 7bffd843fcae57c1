"""XComArg: a task's future output, handed to another task (Airflow's airflow/sdk/definitions/xcom_arg.py).

`total(extract())` passes `extract`'s return value to `total` and makes `extract` upstream of
`total`; `t.output`, `extract()["rows"]` (a `multiple_outputs` key) and lists or dicts holding
XComArgs work the same way. The value is pulled from XCom when the consuming try starts, never
when the DAG file is parsed; a value from a mapped task is the list of all its map indexes'
values, in map index order (Airflow's LazyXComSequence).
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from engines.dag.errors import DagError
from engines.dag.mixins import DependencyMixin

#: The key a task's return value is pushed under (Airflow's XCOM_RETURN_KEY).
XCOM_RETURN_KEY = "return_value"


class XComNotFound(DagError):
    """An XComArg names a key its task never pushed (Airflow's XComNotFound)."""


class XComArg(DependencyMixin):
    """The XCom `key` of `operator` (its return value by default), resolved when a consumer runs."""

    def __init__(self, operator: Any, key: str = XCOM_RETURN_KEY) -> None:
        self.operator = operator
        self.key = key

    @property
    def roots(self) -> list[Any]:
        return [self.operator]

    @property
    def leaves(self) -> list[Any]:
        return [self.operator]

    def __getitem__(self, key: str) -> "XComArg":
        """One key of a `multiple_outputs` task's dict."""
        return XComArg(self.operator, key)

    def as_setup(self) -> "XComArg":
        self.operator.as_setup()
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> "XComArg":
        self.operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("'XComArg' object is not iterable: its value exists only when the consuming task runs")

    def resolve(self, context: Mapping[str, Any]) -> Any:
        """The value, pulled from XCom in the consuming try's context (PlainXComArg.resolve)."""
        ti = context["ti"]
        if self.operator.is_mapped:
            return ti.xcom_pull(task_ids=[self.operator.task_id], key=self.key)
        value = ti.xcom_pull(task_ids=self.operator.task_id, key=self.key, map_indexes=-1, default=_MISSING)
        if value is not _MISSING:
            return value
        if self.key == XCOM_RETURN_KEY or getattr(self.operator, "multiple_outputs", False):
            return None
        raise XComNotFound(f"task {self.operator.task_id} pushed no XCom {self.key!r}")

    def __repr__(self) -> str:
        return f"XComArg({self.operator!r}, {self.key!r})"


_MISSING: Any = object()


def iter_xcom_args(value: Any) -> Iterator[XComArg]:
    """Every XComArg inside an argument (lists, tuples, sets and dict values, at any depth)."""
    if isinstance(value, XComArg):
        yield value
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from iter_xcom_args(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from iter_xcom_args(v)


def resolve_xcom_args(value: Any, context: Mapping[str, Any]) -> Any:
    """The argument with every XComArg replaced by its value."""
    if isinstance(value, XComArg):
        return value.resolve(context)
    if isinstance(value, list):
        return [resolve_xcom_args(v, context) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve_xcom_args(v, context) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(resolve_xcom_args(v, context) for v in value)
    if isinstance(value, dict):
        return {k: resolve_xcom_args(v, context) for k, v in value.items()}
    return value
