"""The scheduler's in-memory rows: a DAG run and its task instances (mirrored in metadata.py).

A task instance is one task in one DAG run; each try gets a try number. `token` identifies the
worker process of the current try: killing the process bumps it, so a late result or poke from
the dead process is ignored, the way Airflow's API server refuses a task it no longer expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engines.dag.dag import DAG, BaseOperator
from engines.dag.states import TI, DagRunState
from engines.dag.trigger_rules import UpstreamCounts


@dataclass(eq=False)
class DagRun:
    run_id: str
    dag_id: str
    run_type: str  # manual | scheduled
    state: str
    logical_date: datetime
    start_date: datetime | None
    end_date: datetime | None = None
    dag_version: int = 1
    conf: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    # runtime only
    dag: DAG | None = field(default=None, repr=False)
    tis: dict[str, "TaskInstance"] = field(default_factory=dict, repr=False)
    unfinished: int = 0
    active: int = 0  # task instances queued or running
    transitions: int = 0
    timeout_timer: Any = field(default=None, repr=False)

    @property
    def data_interval_start(self) -> datetime:
        return self.logical_date

    @property
    def data_interval_end(self) -> datetime:
        return self.logical_date

    @property
    def finished(self) -> bool:
        return self.state in (DagRunState.SUCCESS, DagRunState.FAILED)


@dataclass(eq=False)
class TaskInstance:
    run_id: str
    task_id: str
    state: str = TI.NONE
    try_number: int = 0
    max_tries: int = 0
    start_date: datetime | None = None
    end_date: datetime | None = None
    slot_seconds: float = 0.0  # this try
    next_at: datetime | None = None  # retry or reschedule date
    sensor_started: datetime | None = None  # first poke of this try (sensor timeout counts from it)
    pokes: int = 0  # this try
    pool: str = "default_pool"
    dag_version: int = 1
    # runtime only
    run: DagRun | None = field(default=None, repr=False)
    task: BaseOperator | None = field(default=None, repr=False)
    counts: UpstreamCounts = field(default_factory=UpstreamCounts, repr=False)
    held_since: datetime | None = None  # holding a worker slot since
    process_alive: bool = False
    token: int = 0
    last_trace_day: int = -1

    @property
    def key(self) -> tuple[str, str]:
        return (self.run_id, self.task_id)
