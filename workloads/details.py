"""What each engine can tell about one run, beyond the Outcome: one frozen record per engine.

These are the figures an engine's own tools would show (Temporal's `describe` and event
history, Airflow's grid view, Step Functions' `DescribeExecution` and history), read once when
the run ends so the side-by-side view, the lessons and the tests read attributes, not keys.
Every workload on an engine fills the same record the same way (the `of` constructors), so a
figure means one thing whichever workload it came from.

History rows, grid rows and state rows are the engines' own plain-data shapes (JSON for the
histories; the grid holds datetimes), so they stay dicts here: the engine owns those shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from engines.dag import DagRunState, Scheduler, SensorMode, TaskInstanceState
from engines.replay import Client, EventType, Worker
from engines.statemachine import Engine, state_list


class WaitMode(StrEnum):
    """How a DAG's sensor waits: Airflow's two sensor modes, or deferred to the triggerer.

    Poke holds a worker slot for the whole wait; reschedule frees it between pokes; a deferrable
    sensor (`deferrable=True`, not a `mode`) hands the wait to the triggerer and holds no slot.
    The sensor's timeout applies in all three.
    """

    POKE = "poke"
    RESCHEDULE = "reschedule"
    DEFERRABLE = "deferrable"

    def sensor_args(self) -> dict[str, Any]:
        """The sensor's constructor arguments, spelled as Airflow spells them."""
        if self is WaitMode.DEFERRABLE:
            return {"mode": SensorMode.POKE, "deferrable": True}
        return {"mode": SensorMode(self.value)}

#: One event of a replay or Step Functions history as the engine prints it (JSON).
HistoryRow = dict[str, Any]
#: One task × try of a DAG run's grid, as `Scheduler.grid` gives it.
GridRow = dict[str, Any]
#: One state of a state machine definition, as `state_list` draws it.
StateRow = dict[str, Any]


@dataclass(frozen=True)
class ReplayDetails:
    """A replay (Temporal-style) run: its describe, its history and what the workers did."""

    run_id: str
    workflow_status: str                  # Temporal's words: Running, Completed, Failed, ...
    history_length: int
    history: list[HistoryRow] = field(default_factory=list)
    replayed_events: int = 0              # events handed back to the code on replay
    live_commands: int = 0                # commands that became new events
    workflow_tasks: int = 0
    activity_tasks: int = 0
    time_skips: int = 0
    workers: int = 0                      # workers started for the run (a crash makes a second)
    attempts: dict[str, int] = field(default_factory=dict)  # activity type -> attempt it finished on

    @classmethod
    def of(cls, client: Client, workflow_id: str, workers: Sequence[Worker]) -> ReplayDetails:
        """Read the run's describe and history, and add up its workers' stats."""
        d = client.describe(workflow_id)
        history = client.history_rows(workflow_id)
        stats = [w.stats for w in workers]
        return cls(
            run_id=d.run_id, workflow_status=d.status, history_length=d.history_length, history=history,
            replayed_events=sum(s.replayed_events for s in stats), live_commands=sum(s.new_commands for s in stats),
            workflow_tasks=sum(s.workflow_tasks for s in stats), activity_tasks=sum(s.activity_tasks for s in stats),
            time_skips=sum(s.time_skips for s in stats), workers=len(workers), attempts=attempts(history),
        )


def attempts(history: Sequence[HistoryRow]) -> dict[str, int]:
    """The attempt each activity finished on, read from the history (only the last try is recorded)."""
    types = {row["id"]: row["attributes"]["activity_type"] for row in history if row["type"] == EventType.ACTIVITY_TASK_SCHEDULED}
    return {types[row["attributes"]["scheduled_event_id"]]: int(row["attributes"]["attempt"])
            for row in history if row["type"] == EventType.ACTIVITY_TASK_STARTED}


@dataclass(frozen=True)
class DagDetails:
    """A DAG (Airflow-style) run: its state, its task-instance grid and what its sensors cost."""

    run_id: str
    run_state: DagRunState
    dag_version: int
    grid: list[GridRow] = field(default_factory=list)
    task_states: dict[str, TaskInstanceState] = field(default_factory=dict)
    pokes: int = 0
    pokes_by_task: dict[str, int] = field(default_factory=dict)
    slot_seconds_by_task: dict[str, float] = field(default_factory=dict)
    reschedules: int = 0                  # task_reschedule rows (sensors in reschedule mode)
    mode: WaitMode | None = None          # how the DAG's sensor waits, when it has a sensor
    sensor_timeout_seconds: float | None = None

    @classmethod
    def of(cls, sched: Scheduler, run_id: str, *, mode: WaitMode | str | None = None,
           sensor_timeout: timedelta | None = None) -> DagDetails:
        """Read the run from the scheduler (before it is closed)."""
        run = sched.dag_run(run_id)
        pokes = sched.pokes(run_id)
        return cls(
            run_id=run_id, run_state=run.state, dag_version=run.dag_version, grid=sched.grid(run_id),
            task_states={t: ti.state for t, ti in run.tis.items()}, pokes=sum(pokes.values()), pokes_by_task=pokes,
            slot_seconds_by_task=sched.slot_seconds(run_id), reschedules=sched.meta.reschedule_count(run_id),
            mode=None if mode is None else WaitMode(mode),
            sensor_timeout_seconds=None if sensor_timeout is None else sensor_timeout.total_seconds(),
        )


@dataclass(frozen=True)
class StatemachineDetails:
    """A Step Functions-style execution: its describe, its definition's states and its history."""

    state_machine: str
    execution_arn: str
    execution_status: str                 # Step Functions' words: RUNNING, SUCCEEDED, FAILED, ...
    definition_version: int
    states: list[StateRow] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)

    @classmethod
    def of(cls, engine: Engine, state_machine: str, execution_arn: str, definition: dict[str, Any]) -> StatemachineDetails:
        """Read the execution; `definition` is the one its states are drawn from."""
        desc = engine.describe_execution(execution_arn)
        return cls(
            state_machine=state_machine, execution_arn=execution_arn, execution_status=desc["status"],
            definition_version=desc["version"], states=state_list(definition),
            history=[e.to_json() for e in engine.get_execution_history(execution_arn)],
        )


#: Whichever engine ran it.
EngineDetails = ReplayDetails | DagDetails | StatemachineDetails
