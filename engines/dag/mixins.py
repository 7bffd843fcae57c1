"""`>>` and `<<` for everything a DAG file chains: tasks, XComArgs, task groups (Airflow's
DependencyMixin, airflow/sdk/definitions/_internal/mixins.py).

`a >> b` makes every leaf of `a` upstream of every root of `b`: for a task both are the task, for
an XComArg they are the task that pushes it, for a TaskGroup its first and last tasks as they
stand when the line runs (as in Airflow, set a group's inner dependencies first). Lists chain
element-wise: `[a, b] >> c`, `a >> [b, c]`.
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol, Sequence, TypeVar


class Task(Protocol):
    """What the dependency code needs of a task (BaseOperator has it)."""

    task_id: str

    def set_downstream(self, other: Any) -> None: ...


_Other = TypeVar("_Other")


class DependencyMixin:
    """Something with roots and leaves that can be chained with `>>` / `<<`."""

    @property
    def roots(self) -> list[Any]:
        """The tasks an upstream dependency attaches to."""
        raise NotImplementedError

    @property
    def leaves(self) -> list[Any]:
        """The tasks a downstream dependency starts from."""
        raise NotImplementedError

    def set_downstream(self, other: Any) -> None:
        targets = [root for item in as_dependency_list(other) for root in item.roots]
        for leaf in self.leaves:
            leaf._link(targets)

    def set_upstream(self, other: Any) -> None:
        for item in as_dependency_list(other):
            item.set_downstream(self)

    def __rshift__(self, other: _Other) -> _Other:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: _Other) -> _Other:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Any:  # [a, b] >> self
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Any) -> Any:  # [a, b] << self
        self.set_downstream(other)
        return self


def as_dependency_list(other: Any) -> list[DependencyMixin]:
    """One chainable thing or a list of them; an error naming what cannot be chained."""
    from engines.dag.errors import DagError

    if isinstance(other, DependencyMixin):
        return [other]
    if isinstance(other, (str, bytes)) or not isinstance(other, Iterable):
        raise DagError(f"cannot set a dependency on {other!r}: not a task, XComArg or TaskGroup")
    items: Sequence[Any] = list(other)
    for t in items:
        if not isinstance(t, DependencyMixin):
            raise DagError(f"cannot set a dependency on {t!r}: not a task, XComArg or TaskGroup")
    return list(items)
