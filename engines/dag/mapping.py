"""Dynamic task mapping: `.expand()` makes one task instance per value, decided at run time
(Airflow's airflow/sdk/definitions/mappedoperator.py and expandinput.py).

`add.expand(x=[1, 2, 3])` or `add.expand(x=extract())`: when everything the mapped arguments
come from has succeeded, the task's one unexpanded task instance (map_index -1) becomes as many
as there are values (map_index 0…n-1); several mapped arguments multiply (a cross product, the
last argument varying fastest, as Airflow's DictOfListsExpandInput); `expand_kwargs` takes one
dict of arguments per task instance. An empty list skips the task, as Airflow does. A dict
maps over its (key, value) pairs.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from engines.dag.errors import AirflowException, DagError
from engines.dag.xcomarg import XComArg, iter_xcom_args

#: The expand_input key of `expand_kwargs` (one dict of arguments per task instance).
KWARGS_LIST = "__expand_kwargs__"
#: Upper bound on one task's task instances (Airflow's [core] max_map_length).
MAX_MAP_LENGTH = 1024


class UnmappableXComTypePushed(AirflowException):
    """A task whose output a mapped task expands over returned something that is not a list or dict
    (the pushing try fails, as in Airflow)."""


class XComForMappingNotPushed(AirflowException):
    """A task whose output a mapped task expands over returned nothing."""

    def __init__(self) -> None:
        super().__init__("did not push XCom for task mapping")


def has_mapped_dependants(task: Any) -> bool:
    """Whether a mapped task expands over this task's output."""
    return any(d.is_mapped and task.task_id in mapping_sources(d) for d in task.downstream_list)


def is_mappable_value(value: Any) -> bool:
    """What Airflow maps over: a sequence (not a string) or a mapping."""
    return isinstance(value, (Sequence, Mapping, set, frozenset)) and not isinstance(value, (str, bytes, bytearray))


class OperatorPartial:
    """`Op.partial(**fixed)`: the arguments every mapped task instance shares; `.expand()` maps the rest."""

    def __init__(self, operator_class: type, kwargs: dict[str, Any], *, into_op_kwargs: bool = False,
                 build: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.operator_class = operator_class
        self.kwargs = dict(kwargs)
        self.into_op_kwargs = into_op_kwargs  # TaskFlow: mapped names are the function's arguments
        self._build = build
        self.rule: Any = None  # TaskFlow: the decorator's trigger_rule

    def expand(self, **mapped: Any) -> Any:
        if not mapped:
            raise DagError(f"{self.operator_class.__name__}.expand(): name at least one argument to map over")
        for name, value in mapped.items():
            if not isinstance(value, XComArg) and not is_mappable_value(value):
                raise DagError(f"expand({name}=...): expected a list, a dict or a task's output, got {value!r}")
        return self._make(dict(mapped))

    def expand_kwargs(self, kwargs_list: Any) -> Any:
        if not isinstance(kwargs_list, XComArg):
            if not isinstance(kwargs_list, Sequence) or not all(isinstance(d, Mapping) for d in kwargs_list):
                raise DagError(f"expand_kwargs(): expected a list of dicts or a task's output, got {kwargs_list!r}")
        return self._make({KWARGS_LIST: kwargs_list})

    def _make(self, expand_input: dict[str, Any]) -> Any:
        how = "expand_kwargs" if KWARGS_LIST in expand_input else "expand"
        rule = self.kwargs.get("trigger_rule", self.rule)
        if rule == "always" and any(isinstance(v, XComArg) for v in expand_input.values()):
            # airflow/sdk/bases/decorator.py refuses it when the DAG file is parsed
            raise DagError(f"Task-generated mapping within a task using '{how}' is not allowed with trigger rule 'always'.")
        op = self._build(self.kwargs) if self._build is not None else self.operator_class(**self.kwargs)
        op.expand_input = expand_input
        op.mapped_into_op_kwargs = self.into_op_kwargs
        for arg in iter_xcom_args(list(expand_input.values())):
            arg.operator >> op
        op.dag._changed()
        # TaskFlow's .partial().expand() hands back the mapped output; a classic operator's, the operator
        return XComArg(op) if self.into_op_kwargs else op


def mapping_sources(task: Any) -> list[str]:
    """Task ids whose output the task maps over (all must succeed before it expands)."""
    if task.expand_input is None:
        return []
    return sorted({arg.operator.task_id for arg in iter_xcom_args(list(task.expand_input.values()))})


def literal_map_length(task: Any) -> int:
    """How many task instances a task mapped over literals only has (Airflow creates them with the
    run); 0 for an unmapped task, one mapped over an XComArg, or an empty literal."""
    if task.expand_input is None or mapping_sources(task):
        return 0
    try:
        return len(expand_values(task, lambda arg: None))
    except UnmappableXComTypePushed:
        return 0


def _as_items(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [(k, v) for k, v in value.items()]
    return list(value)


def _mapped_lists(task: Any, resolve: Callable[[XComArg], Any]) -> tuple[list[Any] | None, dict[str, list[Any]]]:
    """(expand_kwargs' list of dicts, None) or (None, each mapped argument's values): what the
    task instances are made of, resolved but not yet crossed."""
    expand_input = task.expand_input or {}
    where = f"task {task.task_id}"
    if KWARGS_LIST in expand_input:
        value = expand_input[KWARGS_LIST]
        items = resolve(value) if isinstance(value, XComArg) else value
        if not is_mappable_value(items) or not all(isinstance(d, Mapping) for d in items):
            raise UnmappableXComTypePushed(f"{where}: expand_kwargs needs a list of dicts, got {items!r}")
        kwargs = list(items)
        _check_length(where, len(kwargs))
        return kwargs, {}
    lists: dict[str, list[Any]] = {}
    for name, value in expand_input.items():
        got = resolve(value) if isinstance(value, XComArg) else value
        if not is_mappable_value(got):
            raise UnmappableXComTypePushed(f"{where}: cannot map {name} over {type(got).__name__} {got!r}")
        lists[name] = _as_items(got)
    _check_length(where, math.prod(len(v) for v in lists.values()))
    return None, lists


def _check_length(where: str, length: int) -> None:
    if length > MAX_MAP_LENGTH:
        raise UnmappableXComTypePushed(f"{where}: {length} mapped task instances is more than "
                                       f"max_map_length ({MAX_MAP_LENGTH})")


def expand_values(task: Any, resolve: Callable[[XComArg], Any]) -> list[dict[str, Any]]:
    """The mapped arguments of each task instance, map index order; `resolve` pulls an XComArg's value."""
    kwargs, lists = _mapped_lists(task, resolve)
    if kwargs is not None:
        return [dict(d) for d in kwargs]
    return [dict(zip(lists, combo)) for combo in itertools.product(*lists.values())]


def expand_value_at(task: Any, resolve: Callable[[XComArg], Any], index: int) -> dict[str, Any] | None:
    """The mapped arguments of the task instance at map index `index` (None if the input has no such
    index), read off the per-argument lengths the way Airflow finds one cross-product entry, so a
    run of n mapped task instances costs n, not n² (the whole product is never built)."""
    kwargs, lists = _mapped_lists(task, resolve)
    if kwargs is not None:
        return dict(kwargs[index]) if 0 <= index < len(kwargs) else None
    total = math.prod(len(v) for v in lists.values())
    if not 0 <= index < total:
        return None
    values: dict[str, Any] = {}
    rest = index
    for name in reversed(list(lists)):  # itertools.product: the last argument varies fastest
        rest, at = divmod(rest, len(lists[name]))
        values[name] = lists[name][at]
    return {name: values[name] for name in lists}


def unmap(task: Any, values: Mapping[str, Any]) -> Any:
    """A copy of the mapped task with one task instance's arguments filled in (the DAG is untouched)."""
    op = copy.copy(task)
    if getattr(task, "mapped_into_op_kwargs", False):
        op.op_kwargs = {**task.op_kwargs, **values}
    else:
        for name, value in values.items():
            setattr(op, name, value)
    return op
