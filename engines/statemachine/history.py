"""GetExecutionHistory's vocabulary: the event types this engine writes, and one event row.

The names are Step Functions' own (`TaskStateEntered`, `LambdaFunctionScheduled`, …), so a
history read here looks like one read from AWS. Events named after a state type or a task
integration are built with `HistoryEventType.of_state` / `of_task`, which refuse a name AWS
does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class HistoryEventType(StrEnum):
    """Every history event type this engine writes (the values are the strings stored in SQLite)."""

    EXECUTION_STARTED = "ExecutionStarted"
    EXECUTION_SUCCEEDED = "ExecutionSucceeded"
    EXECUTION_FAILED = "ExecutionFailed"
    EXECUTION_ABORTED = "ExecutionAborted"
    EXECUTION_TIMED_OUT = "ExecutionTimedOut"

    PASS_STATE_ENTERED = "PassStateEntered"
    PASS_STATE_EXITED = "PassStateExited"
    TASK_STATE_ENTERED = "TaskStateEntered"
    TASK_STATE_EXITED = "TaskStateExited"
    CHOICE_STATE_ENTERED = "ChoiceStateEntered"
    CHOICE_STATE_EXITED = "ChoiceStateExited"
    WAIT_STATE_ENTERED = "WaitStateEntered"
    WAIT_STATE_EXITED = "WaitStateExited"
    SUCCEED_STATE_ENTERED = "SucceedStateEntered"
    SUCCEED_STATE_EXITED = "SucceedStateExited"
    FAIL_STATE_ENTERED = "FailStateEntered"
    PARALLEL_STATE_ENTERED = "ParallelStateEntered"
    PARALLEL_STATE_EXITED = "ParallelStateExited"
    MAP_STATE_ENTERED = "MapStateEntered"
    MAP_STATE_EXITED = "MapStateExited"

    # Task states: `Task*` for service integrations, `LambdaFunction*` for legacy Lambda ARNs,
    # `Activity*` for activities.
    TASK_SCHEDULED = "TaskScheduled"
    TASK_STARTED = "TaskStarted"
    TASK_SUBMITTED = "TaskSubmitted"
    TASK_SUCCEEDED = "TaskSucceeded"
    TASK_FAILED = "TaskFailed"
    TASK_TIMED_OUT = "TaskTimedOut"
    LAMBDA_FUNCTION_SCHEDULED = "LambdaFunctionScheduled"
    LAMBDA_FUNCTION_STARTED = "LambdaFunctionStarted"
    LAMBDA_FUNCTION_SUCCEEDED = "LambdaFunctionSucceeded"
    LAMBDA_FUNCTION_FAILED = "LambdaFunctionFailed"
    LAMBDA_FUNCTION_TIMED_OUT = "LambdaFunctionTimedOut"
    ACTIVITY_SCHEDULED = "ActivityScheduled"
    ACTIVITY_STARTED = "ActivityStarted"
    ACTIVITY_SUCCEEDED = "ActivitySucceeded"
    ACTIVITY_FAILED = "ActivityFailed"
    ACTIVITY_TIMED_OUT = "ActivityTimedOut"

    PARALLEL_STATE_STARTED = "ParallelStateStarted"
    PARALLEL_STATE_SUCCEEDED = "ParallelStateSucceeded"
    PARALLEL_STATE_FAILED = "ParallelStateFailed"
    MAP_STATE_STARTED = "MapStateStarted"
    MAP_STATE_SUCCEEDED = "MapStateSucceeded"
    MAP_STATE_FAILED = "MapStateFailed"
    MAP_ITERATION_STARTED = "MapIterationStarted"
    MAP_ITERATION_SUCCEEDED = "MapIterationSucceeded"
    MAP_ITERATION_FAILED = "MapIterationFailed"
    MAP_ITERATION_ABORTED = "MapIterationAborted"
    # a JSONata expression failed (States.QueryEvaluationError), written before the failure it causes
    EVALUATION_FAILED = "EvaluationFailed"
    # a Distributed Map's run (distributed.py)
    MAP_RUN_STARTED = "MapRunStarted"
    MAP_RUN_SUCCEEDED = "MapRunSucceeded"
    MAP_RUN_FAILED = "MapRunFailed"

    @classmethod
    def of_state(cls, state_type: str, what: str) -> HistoryEventType:
        """`<Type>State<what>`: `of_state("Map", "Exited")` is MapStateExited (ValueError if AWS has none)."""
        return _named(f"{state_type}State{what}")

    @classmethod
    def of_task(cls, prefix: str, what: str) -> HistoryEventType:
        """`<prefix><what>` for a Task's integration (a TaskEventPrefix): `of_task("LambdaFunction", "Failed")`."""
        return _named(f"{prefix}{what}")

    @property
    def is_warning(self) -> bool:
        """Failed, timed out or aborted: the trace shows these as warnings."""
        return self.endswith(("Failed", "TimedOut", "Aborted"))


def _named(value: str) -> HistoryEventType:
    """The member with this value: a dict look-up (every event goes through here; Enum(value) is slow)."""
    try:
        return _BY_VALUE[value]
    except KeyError:
        raise ValueError(f"{value!r} is not a Step Functions history event type") from None


_BY_VALUE: dict[str, HistoryEventType] = {t.value: t for t in HistoryEventType}


class TaskEventPrefix(StrEnum):
    """Which family of events a Task state's invocation writes (`<prefix>Scheduled`, …)."""

    TASK = "Task"                       # service integrations, lambda:invoke
    LAMBDA_FUNCTION = "LambdaFunction"  # legacy arn:aws:lambda:…:function:F resources
    ACTIVITY = "Activity"               # activities


@dataclass(frozen=True)
class HistoryEvent:
    """One row of GetExecutionHistory: id, previousEventId, timestamp, type and its details."""

    id: int
    previous_event_id: int
    timestamp: str
    type: HistoryEventType
    state: str | None
    details: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "previousEventId": self.previous_event_id, "timestamp": self.timestamp,
                "type": self.type.value, "state": self.state, **({"details": self.details} if self.details else {})}
