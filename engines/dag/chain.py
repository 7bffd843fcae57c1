"""`chain` and `cross_downstream` (Airflow's airflow/sdk/bases/operator.py helpers).

`chain(a, [b, c], d)` is `a >> [b, c] >> d`; two adjacent lists of the same length are chained
pairwise (`chain([a, b], [c, d])` is `a >> c`, `b >> d`), as in Airflow.
`cross_downstream([a, b], [c, d])` makes every one of the first upstream of every one of the second.
"""

from __future__ import annotations

from typing import Any, Sequence

from engines.dag.errors import DagError
from engines.dag.mixins import as_dependency_list


def chain(*elements: Any) -> None:
    for up, down in zip(elements, elements[1:]):
        up_list = isinstance(up, Sequence) and not isinstance(up, str)
        down_list = isinstance(down, Sequence) and not isinstance(down, str)
        if up_list and down_list:
            if len(up) != len(down):
                raise DagError(f"chain(): lists of different lengths next to each other ({len(up)} and {len(down)})")
            for u, d in zip(up, down):
                u >> d
        elif up_list:
            for u in as_dependency_list(up):
                u >> down
        else:
            up >> down


def cross_downstream(from_tasks: Sequence[Any], to_tasks: Any) -> None:
    for t in as_dependency_list(list(from_tasks)):
        t >> to_tasks
