"""The scheduler's in-memory rows: a DAG run and its task instances (mirrored in metadata.py).

A task instance is one task in one DAG run; each try gets a try number. `token` identifies the
worker process of the current try: killing the process bumps it, so a late result or poke from
the dead process is ignored, the way Airflow's API server refuses a task it no longer expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engines.clock import Timer
from engines.dag.dag import DEFAULT_POOL, DAG, BaseOperator
from engines.dag.run_type import DagRunType
from engines.dag.states import TI, DagRunState, TaskInstanceState
from engines.dag.trigger_rules import UpstreamCounts


@dataclass(eq=False)
class DagRun:
    run_id: str
    dag_id: str
    run_type: DagRunType
    state: DagRunState
    logical_date: datetime
    start_date: datetime | None
    end_date: datetime | None = None
    dag_version: int = 1
    conf: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    # runtime only
    dag: DAG = field(kw_only=True, repr=False)  # the DAG version this run follows
    tis: dict[str, TaskInstance] = field(default_factory=dict, repr=False)  # by ti_key(task_id, map_index)
    mapped: dict[str, list[TaskInstance]] = field(default_factory=dict, repr=False)  # expanded tasks' tis
    unfinished: int = 0
    active: int = 0  # task instances queued or running
    transitions: int = 0
    timeout_timer: Timer | None = field(default=None, repr=False)

    @property
    def data_interval_start(self) -> datetime:
        return self.logical_date

    @property
    def data_interval_end(self) -> datetime:
        return self.logical_date

    @property
    def finished(self) -> bool:
        return self.state in (DagRunState.SUCCESS, DagRunState.FAILED)

    def task_tis(self, task_id: str) -> list[TaskInstance]:
        """The task instances of one task: one, or one per map index once a mapped task expanded."""
        expanded = self.mapped.get(task_id)
        if expanded is not None:
            return expanded
        ti = self.tis.get(task_id)
        return [] if ti is None else [ti]

    def add_ti(self, ti: TaskInstance) -> None:
        self.tis[ti.key] = ti
        if ti.map_index >= 0:
            self.mapped.setdefault(ti.task_id, []).append(ti)


def ti_key(task_id: str, map_index: int = -1) -> str:
    """How a task instance is keyed in `DagRun.tis`: the task id, or `task_id[i]` for map index i
    (the way Airflow's grid labels a mapped task instance)."""
    return task_id if map_index < 0 else f"{task_id}[{map_index}]"


@dataclass(eq=False, slots=True)
class TaskInstance:
    run_id: str
    task_id: str
    state: TaskInstanceState = TI.NONE
    try_number: int = 0
    max_tries: int = 0
    start_date: datetime | None = None
    end_date: datetime | None = None
    slot_seconds: float = 0.0  # this try
    next_at: datetime | None = None  # retry or reschedule date
    sensor_started: datetime | None = None  # first poke of this try (sensor timeout counts from it)
    pokes: int = 0  # this try
    pool: str = DEFAULT_POOL
    dag_version: int = 1
    map_index: int = -1  # -1: not mapped (or not expanded yet)
    next_method: str | None = None  # deferred: the method the try resumes in once its trigger fires
    trigger_timeout: datetime | None = None  # deferred: when the deferral times out
    # runtime only
    run: DagRun = field(kw_only=True, repr=False)
    task: BaseOperator | None = field(default=None, repr=False)  # None once the task is gone from the DAG
    counts: UpstreamCounts = field(default_factory=UpstreamCounts, repr=False)
    held_since: datetime | None = None  # holding a worker slot since
    process_alive: bool = False
    token: int = 0
    last_trace_day: int = -1

    @property
    def key(self) -> str:
        return ti_key(self.task_id, self.map_index)

    @property
    def operator(self) -> BaseOperator:
        """The task to run; only a task instance whose task left the DAG (state removed) has none."""
        if self.task is None:
            raise RuntimeError(f"DAG run {self.run_id}: task {self.task_id} is no longer in the DAG")
        return self.task
