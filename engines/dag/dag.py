"""DAGs and tasks with Airflow's shape: `DAG(...)` as a context manager, `BaseOperator`, `>>` / `<<`.

A networkx `DiGraph` holds the dependencies. Cycles are found when the DAG is checked (as
Airflow's DagBag does when it parses a file), not on every `>>`, so building a 10,000-task DAG
stays linear. The DAG and its operators know each other (a task belongs to one DAG, a DAG lists
its tasks), so they live in one module; the concrete operators are in operators.py, branch.py
and sensors.py, TaskFlow in decorators.py, task groups in taskgroup.py.

What the structure implies (priority weights, setup/teardown scopes) is worked out once per
structure (relatives.py) and forgotten on any change.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence, overload

import networkx as nx

from engines.dag import contextmanager as ctx
from engines.dag.errors import AirflowDagCycleException, DagError, DuplicateTaskIdFound, TaskDeferred, TaskNotFound
from engines.dag.mixins import DependencyMixin, as_dependency_list
from engines.dag.relatives import WEIGHT_RULES, Relatives, WeightRule
from engines.dag.schedules import timetable_for
from engines.dag.trigger_rules import TriggerRule, check_trigger_rule
from engines.dag.xcomarg import XComArg

#: Airflow's defaults ([core] default_task_retries, default_task_retry_delay, max_task_retry_delay).
DEFAULT_RETRIES = 0
DEFAULT_RETRY_DELAY = timedelta(seconds=300)
MAX_RETRY_DELAY = timedelta(seconds=86400)
DEFAULT_POOL = "default_pool"
#: [core] max_active_runs_per_dag and max_active_tasks_per_dag.
DEFAULT_MAX_ACTIVE_RUNS = 16
DEFAULT_MAX_ACTIVE_TASKS = 16

#: What a task's callback receives: the task's context (see context.py).
Callback = Callable[[dict[str, Any]], None]

_UNSET: Any = object()


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
    argument the task does not set itself. Arguments that change nothing a run does here (tags,
    doc_md, owner_links…) are accepted and kept, so an Airflow DAG file needs no edit for them.
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
        description: str | None = "",
        end_date: datetime | None = None,
        max_active_tasks: int = DEFAULT_MAX_ACTIVE_TASKS,
        max_active_runs: int = DEFAULT_MAX_ACTIVE_RUNS,
        params: dict[str, Any] | None = None,
        user_defined_macros: dict[str, Any] | None = None,
        render_template_as_native_obj: bool = False,
        tags: Iterable[str] | None = None,
        doc_md: str | None = None,
        is_paused_upon_creation: bool | None = None,
        owner_links: dict[str, str] | None = None,
        dag_display_name: str | None = None,
    ) -> None:
        if not dag_id or not all(ch.isalnum() or ch in "_-." for ch in dag_id):
            raise DagError(f"dag_id {dag_id!r}: use letters, digits, '_', '-' and '.' only")
        self.dag_id = dag_id
        self.schedule = schedule
        self.start_date = start_date
        self.end_date = end_date
        self.catchup = catchup
        self.default_args = dict(default_args or {})
        self.dagrun_timeout = as_timedelta(dagrun_timeout, f"DAG {dag_id}: dagrun_timeout")
        self.description = description or ""
        for name, value in (("max_active_tasks", max_active_tasks), ("max_active_runs", max_active_runs)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DagError(f"DAG {dag_id}: {name} must be a whole number of at least 1, got {value!r}")
        self.max_active_tasks = max_active_tasks
        self.max_active_runs = max_active_runs
        self.params = dict(params or {})
        self.user_defined_macros = dict(user_defined_macros or {})
        self.render_template_as_native_obj = render_template_as_native_obj
        self.tags = list(tags or [])
        self.doc_md = doc_md
        self.is_paused_upon_creation = is_paused_upon_creation
        self.owner_links = dict(owner_links or {})
        self.dag_display_name = dag_display_name or dag_id
        self.task_dict: dict[str, BaseOperator] = {}
        self.task_group_dict: dict[str, Any] = {}  # group_id -> TaskGroup
        self.graph = nx.DiGraph()
        self._topological: list[str] | None = None  # cached; _changed forgets it
        self._weights: dict[str, int] | None = None
        self._scopes: tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]] | None = None
        if schedule is not None:
            timetable_for(schedule, where=f"DAG {dag_id}")  # refuse a bad schedule now

    # --- context manager: tasks created inside belong to this DAG ------------------------------
    def __enter__(self) -> "DAG":
        ctx.push_dag(self)
        return self

    def __exit__(self, *exc: object) -> None:
        ctx.pop_dag()

    # --- building -------------------------------------------------------------------------------
    def add_task(self, task: "BaseOperator") -> None:
        if task.task_id in self.task_dict:
            raise DuplicateTaskIdFound(f"DAG {self.dag_id}: task_id {task.task_id!r} has already been added to the DAG")
        self.task_dict[task.task_id] = task
        self.graph.add_node(task.task_id)
        self._changed()
        task.dag = self

    def _add_edge(self, upstream: str, downstream: str) -> None:
        """`upstream >> downstream` by task id (both tasks are in this DAG)."""
        self.graph.add_edge(upstream, downstream)
        self._changed()

    def _changed(self) -> None:
        """The structure changed: forget what was worked out from it."""
        self._topological = None
        self._weights = None
        self._scopes = None

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

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

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

    def validate(self) -> None:
        """What Airflow's DagBag checks before it accepts a DAG file (DAG.validate): no cycle, and
        every task right after a setup (but its teardowns) has trigger rule all_success."""
        self.check_cycle()
        for task in self.task_dict.values():
            if task.is_setup:
                for down in task.downstream_list:
                    if not down.is_teardown and down.trigger_rule != TriggerRule.ALL_SUCCESS:
                        raise DagError(f"DAG {self.dag_id}, task {down.task_id} (after setup {task.task_id}): "
                                       "Setup tasks must be followed with trigger rule ALL_SUCCESS.")

    def topological_order(self) -> list[str]:
        """Task ids upstream first (the grid's row order); refuses a cyclic DAG. Worked out once per
        structure (a grid of a 10,000-task run reads it on every call)."""
        if self._topological is None:
            self.check_cycle()
            self._topological = list(nx.topological_sort(self.graph))
        return list(self._topological)

    # --- what the structure implies (relatives.py) ----------------------------------------------
    def priority_weight_total(self, task_id: str) -> int:
        """Airflow's `priority_weight_total`: the weight the executor orders ready tasks by."""
        if self._weights is None:
            rel = Relatives(self.graph, self.topological_order())
            tasks = self.task_dict
            if all(t.weight_rule == WeightRule.ABSOLUTE for t in tasks.values()):
                self._weights = {tid: t.priority_weight for tid, t in tasks.items()}
            else:
                self._weights = rel.priority_weights({tid: t.priority_weight for tid, t in tasks.items()},
                                                     {tid: t.weight_rule for tid, t in tasks.items()})
        return self._weights[task_id]

    def _setup_scopes(self) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
        if self._scopes is None:
            setups = {tid for tid, t in self.task_dict.items() if t.is_setup}
            teardowns = {tid for tid, t in self.task_dict.items() if t.is_teardown}
            if not setups:
                self._scopes = ({}, {}, {})
            else:
                indirect, scopes = Relatives(self.graph, self.topological_order()).setup_scopes(setups, teardowns)
                watchers: dict[str, list[str]] = {}
                for td, ids in scopes.items():
                    for tid in ids:
                        watchers.setdefault(tid, []).append(td)
                self._scopes = (indirect, scopes, watchers)
        return self._scopes

    def indirect_setups(self, task_id: str) -> list[str]:
        """Setups upstream of a work task, not directly, whose teardown (if any) is downstream of it:
        all must succeed before it runs (Airflow's get_upstreams_only_setups)."""
        return self._setup_scopes()[0].get(task_id, [])

    def teardown_scope(self, task_id: str) -> list[str]:
        """The tasks between a teardown's setups and itself, not direct upstream: a teardown waits for them."""
        return self._setup_scopes()[1].get(task_id, [])

    def teardowns_watching(self, task_id: str) -> list[str]:
        """The teardowns whose scope holds this task (they look again when it ends)."""
        return self._setup_scopes()[2].get(task_id, [])

    #: Set by scheduler.py when it is imported (a hook, so this module need not import the scheduler).
    _test_runner: Callable[["DAG", dict[str, Any] | None], Any] | None = None

    def test(self, *, run_conf: dict[str, Any] | None = None) -> Any:
        """One run of this DAG to its end on a virtual clock and an in-memory metadata database,
        returning the DagRun: what `if __name__ == "__main__": dag.test()` does at the bottom of an
        Airflow DAG file (Airflow's DAG.test)."""
        runner = type(self)._test_runner
        if runner is None:
            raise DagError("DAG.test() needs the scheduler: import engines.dag (not only engines.dag.dag)")
        return runner(self, run_conf)

    def version_hash(self) -> str:
        """A fingerprint of the DAG's structure: a change makes a new DAG version (Airflow 3)."""
        h = hashlib.sha1(usedforsecurity=False)
        for tid in sorted(self.task_dict):
            t = self.task_dict[tid]
            h.update(f"{tid}|{type(t).__name__}|{t.trigger_rule}|{sorted(self.graph.successors(tid))}\n".encode())
        return h.hexdigest()[:12]

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"


class BaseOperator(DependencyMixin):
    """One task. Arguments and defaults are Airflow's; `duration` is this simulator's own: how long
    the work takes on the virtual clock (real tasks simply take real time)."""

    #: Attributes rendered with Jinja before each try (Airflow's `template_fields`).
    template_fields: Sequence[str] = ()
    #: Set by `as_setup()` / `as_teardown()`.
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False
    #: Set by `.expand()` (mapping.py): the arguments mapped over, or None for an unmapped task.
    expand_input: dict[str, Any] | None = None

    def __init__(
        self,
        task_id: str,
        *,
        dag: DAG | None = None,
        task_group: Any = None,
        retries: int = _UNSET,
        retry_delay: timedelta | float = _UNSET,
        retry_exponential_backoff: float = _UNSET,
        max_retry_delay: timedelta | float | None = _UNSET,
        execution_timeout: timedelta | float | None = _UNSET,
        trigger_rule: TriggerRule | str = _UNSET,
        depends_on_past: bool = _UNSET,
        pool: str = _UNSET,
        pool_slots: int = _UNSET,
        priority_weight: int = _UNSET,
        weight_rule: WeightRule | str = _UNSET,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        duration: timedelta | float = _UNSET,
        on_failure_callback: Callback | None = _UNSET,
        on_success_callback: Callback | None = _UNSET,
        on_retry_callback: Callback | None = _UNSET,
        owner: str = _UNSET,
        email: str | Iterable[str] | None = _UNSET,
        email_on_failure: bool = _UNSET,
        email_on_retry: bool = _UNSET,
        doc_md: str | None = None,
        doc: str | None = None,
        task_display_name: str | None = None,
    ) -> None:
        group = task_group if task_group is not None else ctx.current_task_group()
        dag = dag or (group.dag if group is not None else None) or ctx.current_dag()
        if dag is None:
            raise DagError(f"task {task_id!r}: create it inside `with DAG(...)` or pass dag=")
        if not task_id or not all(ch.isalnum() or ch in "_-." for ch in task_id):
            raise DagError(f"DAG {dag.dag_id}: task_id {task_id!r}: use letters, digits, '_', '-' and '.' only")
        if group is not None:
            task_id = group.child_id(task_id)
        d = {**dag.default_args, **(group.merged_default_args() if group is not None else {})}
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
        self.depends_on_past = bool(arg("depends_on_past", depends_on_past, False))
        self.pool: str = arg("pool", pool, DEFAULT_POOL)
        self.pool_slots = int(arg("pool_slots", pool_slots, 1))
        if self.pool_slots < 1:
            raise DagError(f"{where}: pool_slots must be at least 1, got {self.pool_slots}")
        if self.retries < 0:
            raise DagError(f"{where}: retries must be 0 or more, got {self.retries}")
        self.priority_weight = int(arg("priority_weight", priority_weight, 1))
        rule = arg("weight_rule", weight_rule, WeightRule.DOWNSTREAM)
        if rule not in WEIGHT_RULES:
            raise DagError(f"{where}: unknown weight_rule {rule!r}; Airflow's are {', '.join(WEIGHT_RULES)}")
        self.weight_rule = WeightRule(rule)
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.duration: timedelta = as_timedelta(arg("duration", duration, timedelta(0)), f"{where}: duration")
        self.on_failure_callback: Callback | None = arg("on_failure_callback", on_failure_callback, None)
        self.on_success_callback: Callback | None = arg("on_success_callback", on_success_callback, None)
        self.on_retry_callback: Callback | None = arg("on_retry_callback", on_retry_callback, None)
        self.owner: str = arg("owner", owner, "airflow")
        self.email = arg("email", email, None)
        self.email_on_failure = bool(arg("email_on_failure", email_on_failure, True))
        self.email_on_retry = bool(arg("email_on_retry", email_on_retry, True))
        self.doc_md = doc_md
        self.doc = doc
        self.task_display_name = task_display_name or task_id
        self.task_group = group
        self.dag: DAG = dag
        dag.add_task(self)
        if group is not None:
            group.add(self)

    # --- what a worker runs -------------------------------------------------------------------
    def execute(self, context: dict[str, Any]) -> Any:
        """Do the task's work; the return value becomes the `return_value` XCom."""
        return None

    def defer(self, *, trigger: Any, method_name: str, kwargs: dict[str, Any] | None = None,
              timeout: timedelta | float | None = None) -> None:
        """Give the worker slot back and wait on `trigger` in the triggerer; the try resumes in
        `method_name(context, event)` when it fires (Airflow's BaseOperator.defer)."""
        raise TaskDeferred(trigger=trigger, method_name=method_name, kwargs=kwargs,
                           timeout=as_timedelta(timeout, f"task {self.task_id}: defer timeout"))

    # --- setup and teardown (Airflow 2.7+) ----------------------------------------------------
    def as_setup(self) -> "BaseOperator":
        """Mark this task a setup: the work after it needs it, its teardown cleans up after it."""
        self.is_setup = True
        self.dag._changed()
        return self

    def as_teardown(self, *, setups: "BaseOperator | Iterable[BaseOperator] | XComArg | None" = None,
                    on_failure_fail_dagrun: bool | None = None) -> "BaseOperator":
        """Mark this task a teardown: it runs once its scope is done if a setup succeeded (trigger
        rule all_done_setup_success), and its failure does not fail the run unless
        `on_failure_fail_dagrun`."""
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            for s in as_dependency_list(setups):
                for t in s.roots:
                    t.is_setup = True
                s >> self
        self.dag._changed()
        return self

    # --- dependencies -------------------------------------------------------------------------
    @property
    def roots(self) -> list["BaseOperator"]:
        return [self]

    @property
    def leaves(self) -> list["BaseOperator"]:
        return [self]

    def _link(self, targets: Sequence["BaseOperator"]) -> None:
        for t in targets:
            if t.dag is not self.dag:
                raise DagError(f"{self.task_id} >> {t.task_id}: tasks belong to different DAGs")
            self.dag._add_edge(self.task_id, t.task_id)

    @property
    def output(self) -> XComArg:
        """This task's return value as an XComArg, to hand to another task (Airflow's `.output`)."""
        return XComArg(self)

    @property
    def is_mapped(self) -> bool:
        return self.expand_input is not None

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        """`PythonOperator.partial(task_id=..., python_callable=f).expand(op_args=[[1], [2]])`:
        dynamic task mapping of a classic operator."""
        from engines.dag.mapping import OperatorPartial

        return OperatorPartial(cls, kwargs)

    @property
    def upstream_task_ids(self) -> set[str]:
        """Ids of the tasks this one waits for (Airflow's `BaseOperator.upstream_task_ids`)."""
        return set(self.dag.graph.predecessors(self.task_id))

    @property
    def downstream_task_ids(self) -> set[str]:
        """Ids of the tasks that wait for this one (Airflow's `BaseOperator.downstream_task_ids`)."""
        return set(self.dag.graph.successors(self.task_id))

    @property
    def upstream_list(self) -> list["BaseOperator"]:
        return [self.dag.task_dict[t] for t in self.dag.graph.predecessors(self.task_id)]

    @property
    def downstream_list(self) -> list["BaseOperator"]:
        return [self.dag.task_dict[t] for t in self.dag.graph.successors(self.task_id)]

    def get_flat_relative_ids(self, *, upstream: bool = False) -> set[str]:
        """Every task upstream (or downstream) of this one, at any depth."""
        graph = self.dag.graph
        return set(nx.ancestors(graph, self.task_id) if upstream else nx.descendants(graph, self.task_id))

    @property
    def priority_weight_total(self) -> int:
        return self.dag.priority_weight_total(self.task_id)

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"

