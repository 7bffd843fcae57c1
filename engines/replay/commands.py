"""Commands: what workflow code asks the engine to do. Each one becomes one history event.

On replay a command is checked against the recorded event at the same position: same event type
and the same activity / marker / child name, or the run hits a `NondeterminismError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engines.replay.history import HistoryEvent

#: the marker a local activity's outcome is recorded in (Temporal core: "core_local_activity")
LOCAL_ACTIVITY_MARKER = "LocalActivity"


@dataclass
class Command:
    event_type: str = ""
    #: the attribute that must match on replay (activity type, marker name, workflow type…)
    key_attr: str = ""

    def attributes(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def key(self) -> Any:
        return self.attributes().get(self.key_attr) if self.key_attr else None

    def matches(self, event: HistoryEvent) -> bool:
        if event.event_type != self.event_type:
            return False
        return not self.key_attr or event.attributes.get(self.key_attr) == self.key

    def describe(self) -> str:
        return f"{self.event_type}({self.key})" if self.key_attr else self.event_type


def describe_recorded(event: HistoryEvent, key_attr: str = "") -> str:
    a = event.attributes
    if event.event_type == "MarkerRecorded" and a.get("marker_name") == LOCAL_ACTIVITY_MARKER:
        return f"MarkerRecorded({LOCAL_ACTIVITY_MARKER} {a.get('activity_type')})"
    for attr in (key_attr, "activity_type", "marker_name", "workflow_type", "timer_id"):
        if attr and attr in event.attributes:
            return f"{event.event_type}({event.attributes[attr]})"
    return event.event_type


@dataclass
class ScheduleActivityTask(Command):
    activity_id: str = ""
    activity_type: str = ""
    args: list = field(default_factory=list)
    task_queue: str = ""
    retry_policy: dict = field(default_factory=dict)
    start_to_close_seconds: float = 10.0
    schedule_to_close_seconds: float | None = None

    def __post_init__(self) -> None:
        self.event_type, self.key_attr = "ActivityTaskScheduled", "activity_type"

    def attributes(self) -> dict[str, Any]:
        return {"activity_id": self.activity_id, "activity_type": self.activity_type, "input": self.args,
                "task_queue": self.task_queue, "retry_policy": self.retry_policy,
                "start_to_close_timeout": self.start_to_close_seconds,
                "schedule_to_close_timeout": self.schedule_to_close_seconds}


@dataclass
class StartTimer(Command):
    timer_id: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.event_type, self.key_attr = "TimerStarted", ""

    def attributes(self) -> dict[str, Any]:
        return {"timer_id": self.timer_id, "duration_seconds": self.seconds}

    def describe(self) -> str:
        return f"TimerStarted({self.seconds:g} s)"


@dataclass
class CancelTimer(Command):
    timer_id: str = ""

    def __post_init__(self) -> None:
        self.event_type, self.key_attr = "TimerCanceled", "timer_id"

    def attributes(self) -> dict[str, Any]:
        return {"timer_id": self.timer_id}


@dataclass
class RecordMarker(Command):
    marker_name: str = ""
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.event_type, self.key_attr = "MarkerRecorded", "marker_name"

    def attributes(self) -> dict[str, Any]:
        return {"marker_name": self.marker_name, "details": self.details}

    def matches(self, event: HistoryEvent) -> bool:
        return super().matches(event) and event.attributes.get("details") == self.details

    def describe(self) -> str:
        return f"MarkerRecorded({self.marker_name} {self.details})"


@dataclass
class ScheduleLocalActivity(Command):
    """One attempt of a local activity (Temporal's ScheduleLocalActivity). It is not sent to a queue:
    the worker holding the workflow task runs it and fills in `result` or `failure`, and the
    command becomes a MarkerRecorded event carrying that outcome."""

    activity_id: str = ""
    activity_type: str = ""
    args: list = field(default_factory=list)
    retry_policy: dict = field(default_factory=dict)
    start_to_close_seconds: float = 10.0
    attempt: int = 1
    scheduled_ts: float = 0.0  # the first attempt's time (activity.info().scheduled_time)
    # set by the worker once the attempt ran:
    ran: bool = False
    result: Any = None
    failure: dict | None = None
    backoff_seconds: float | None = None  # a retry follows after this gap (a durable timer)

    def __post_init__(self) -> None:
        self.event_type, self.key_attr = "MarkerRecorded", "activity_type"

    def attributes(self) -> dict[str, Any]:
        if not self.ran:
            raise ValueError(f"local activity {self.activity_type} ({self.activity_id}) was not run before its "
                             "workflow task completed")
        attrs: dict[str, Any] = {"marker_name": LOCAL_ACTIVITY_MARKER, "activity_id": self.activity_id,
                                 "activity_type": self.activity_type, "attempt": self.attempt}
        if self.failure is None:
            attrs["result"] = self.result
        else:
            attrs["failure"] = self.failure
            if self.backoff_seconds is not None:
                attrs["backoff_seconds"] = self.backoff_seconds
        return attrs

    @property
    def key(self) -> Any:
        return self.activity_type

    def matches(self, event: HistoryEvent) -> bool:
        a = event.attributes
        return (event.event_type == self.event_type and a.get("marker_name") == LOCAL_ACTIVITY_MARKER
                and a.get("activity_type") == self.activity_type)

    def describe(self) -> str:
        return f"MarkerRecorded({LOCAL_ACTIVITY_MARKER} {self.activity_type})"


@dataclass
class StartChildWorkflowExecution(Command):
    workflow_id: str = ""
    workflow_type: str = ""
    args: list = field(default_factory=list)
    task_queue: str = ""

    def __post_init__(self) -> None:
        self.event_type, self.key_attr = "StartChildWorkflowExecutionInitiated", "workflow_type"

    def attributes(self) -> dict[str, Any]:
        return {"workflow_id": self.workflow_id, "workflow_type": self.workflow_type, "input": self.args,
                "task_queue": self.task_queue}


@dataclass
class CompleteWorkflowExecution(Command):
    result: Any = None

    def __post_init__(self) -> None:
        self.event_type = "WorkflowExecutionCompleted"

    def attributes(self) -> dict[str, Any]:
        return {"result": self.result}


@dataclass
class FailWorkflowExecution(Command):
    failure: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.event_type = "WorkflowExecutionFailed"

    def attributes(self) -> dict[str, Any]:
        return {"failure": self.failure}


@dataclass
class CancelWorkflowExecution(Command):
    def __post_init__(self) -> None:
        self.event_type = "WorkflowExecutionCanceled"

    def attributes(self) -> dict[str, Any]:
        return {}


@dataclass
class ContinueAsNewWorkflowExecution(Command):
    args: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.event_type = "WorkflowExecutionContinuedAsNew"

    def attributes(self) -> dict[str, Any]:
        return {"input": self.args}


CLOSING = (CompleteWorkflowExecution, FailWorkflowExecution, CancelWorkflowExecution, ContinueAsNewWorkflowExecution)
