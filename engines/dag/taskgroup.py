"""TaskGroup: tasks drawn and chained as one box (Airflow's airflow/sdk/definitions/taskgroup.py).

Inside `with TaskGroup("load") as tg:` a task named "orders" gets the id "load.orders"
(prefix_group_id=True, the default), inherits the group's default_args over the DAG's, and
`tg >> t` / `t >> tg` chain the group's leaves / roots as they stand at that line. A group is
only a naming and chaining device; the scheduler sees tasks.
"""

from __future__ import annotations

from typing import Any

from engines.dag import contextmanager as ctx
from engines.dag.errors import DagError
from engines.dag.mixins import DependencyMixin


class TaskGroup(DependencyMixin):
    """A group of tasks (and nested groups) with a group_id."""

    def __init__(self, group_id: str, *, prefix_group_id: bool = True, parent_group: "TaskGroup | None" = None,
                 dag: Any = None, default_args: dict[str, Any] | None = None, tooltip: str = "",
                 ui_color: str = "CornflowerBlue", ui_fgcolor: str = "#000", group_display_name: str | None = None) -> None:
        parent = parent_group if parent_group is not None else ctx.current_task_group()
        self.dag: Any = dag or (parent.dag if parent is not None else None) or ctx.current_dag()
        if self.dag is None:
            raise DagError(f"TaskGroup {group_id!r}: create it inside `with DAG(...)` or pass dag=")
        if not group_id or not all(ch.isalnum() or ch in "_-" for ch in group_id):
            raise DagError(f"DAG {self.dag.dag_id}: group_id {group_id!r}: use letters, digits, '_' and '-' only")
        self.parent_group = parent
        self.prefix_group_id = prefix_group_id
        self._group_id = group_id
        self.group_id = parent.child_id(group_id) if parent is not None else group_id
        if self.group_id in self.dag.task_group_dict or self.group_id in self.dag.task_dict:
            raise DagError(f"DAG {self.dag.dag_id}: group_id {self.group_id!r} has already been added to the DAG")
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.ui_color, self.ui_fgcolor = ui_color, ui_fgcolor
        self.group_display_name = group_display_name or group_id
        self.children: dict[str, Any] = {}  # task_id or group_id -> task or TaskGroup
        self.dag.task_group_dict[self.group_id] = self
        if parent is not None:
            parent.children[self.group_id] = self

    def __enter__(self) -> "TaskGroup":
        ctx.push_task_group(self)
        return self

    def __exit__(self, *exc: object) -> None:
        ctx.pop_task_group()

    def child_id(self, label: str) -> str:
        """The id a child named `label` gets: prefixed with this group's id if it prefixes."""
        if self.prefix_group_id:
            return f"{self.group_id}.{label}"
        return self.parent_group.child_id(label) if self.parent_group is not None else label

    def merged_default_args(self) -> dict[str, Any]:
        """This group's default_args over its parents' (the DAG's come below, in BaseOperator)."""
        inherited = self.parent_group.merged_default_args() if self.parent_group is not None else {}
        return {**inherited, **self.default_args}

    def add(self, task: Any) -> None:
        self.children[task.task_id] = task

    def iter_tasks(self) -> list[Any]:
        """Every task in the group and its nested groups."""
        out = []
        for child in self.children.values():
            out.extend(child.iter_tasks() if isinstance(child, TaskGroup) else [child])
        return out

    @property
    def roots(self) -> list[Any]:
        """Tasks of the group with no upstream inside the group."""
        tasks = self.iter_tasks()
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if not (t.upstream_task_ids & ids)]

    @property
    def leaves(self) -> list[Any]:
        """Tasks of the group with no downstream inside the group."""
        tasks = self.iter_tasks()
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if not (t.downstream_task_ids & ids)]

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"
