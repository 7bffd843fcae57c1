"""Commands: what workflow code asks the engine to do. Each one becomes one history event.

On replay a command is checked against the recorded event at the same position: same event type
and the same activity / marker / child name, or the run hits a `NondeterminismError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from engines.replay.history import EventType, HistoryEvent, MarkerName


@dataclass
class Command:
    """One thing the code asks for; `event_type` is the event it becomes (and is checked against)."""

    event_type: ClassVar[EventType]
    #: the attribute that must match on replay (activity type, marker name, workflow type…)
    key_attr: ClassVar[str] = ""

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
    """The recorded event as a nondeterminism error names it, e.g. `ActivityTaskScheduled(ChargeCard)`."""
    if event.event_type == EventType.MARKER_RECORDED and event.attributes.get("marker_name") in (
            MarkerName.PATCH, MarkerName.VERSION):
        return f"{EventType.MARKER_RECORDED}({MarkerName.PATCH} {patch_id_of(event)})"
    if event.is_local_activity_marker():
        return f"{EventType.MARKER_RECORDED}({MarkerName.LOCAL_ACTIVITY} {event.attributes.get('activity_type')})"
    for attr in (key_attr, "activity_type", "marker_name", "workflow_type", "timer_id"):
        if attr and attr in event.attributes:
            return f"{event.event_type}({event.attributes[attr]})"
    return event.event_type


@dataclass
class ScheduleActivityTask(Command):
    event_type = EventType.ACTIVITY_TASK_SCHEDULED
    key_attr = "activity_type"

    activity_id: str = ""
    activity_type: str = ""
    args: list = field(default_factory=list)
    task_queue: str = ""
    retry_policy: dict = field(default_factory=dict)
    start_to_close_seconds: float = 10.0
    schedule_to_close_seconds: float | None = None

    def attributes(self) -> dict[str, Any]:
        return {"activity_id": self.activity_id, "activity_type": self.activity_type, "input": self.args,
                "task_queue": self.task_queue, "retry_policy": self.retry_policy,
                "start_to_close_timeout": self.start_to_close_seconds,
                "schedule_to_close_timeout": self.schedule_to_close_seconds}


@dataclass
class StartTimer(Command):
    event_type = EventType.TIMER_STARTED

    timer_id: str = ""
    seconds: float = 0.0

    def attributes(self) -> dict[str, Any]:
        return {"timer_id": self.timer_id, "duration_seconds": self.seconds}

    def describe(self) -> str:
        return f"{self.event_type}({self.seconds:g} s)"


@dataclass
class CancelTimer(Command):
    event_type = EventType.TIMER_CANCELED
    key_attr = "timer_id"

    timer_id: str = ""

    def attributes(self) -> dict[str, Any]:
        return {"timer_id": self.timer_id}


@dataclass
class RecordMarker(Command):
    event_type = EventType.MARKER_RECORDED
    key_attr = "marker_name"

    marker_name: str = ""
    details: dict = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        return {"marker_name": self.marker_name, "details": self.details}

    def matches(self, event: HistoryEvent) -> bool:
        return super().matches(event) and event.attributes.get("details") == self.details

    def describe(self) -> str:
        return f"{self.event_type}({self.marker_name} {self.details})"


@dataclass
class SetPatchMarker(Command):
    """`ctx.patched(id)` taking the new path (temporalio core's SetPatchMarker): it becomes a
    MarkerRecorded "core_patch" with details {id, deprecated}. On replay it also matches the
    marker this engine wrote before it used Temporal's format ("Version" with {patch_id})."""

    event_type = EventType.MARKER_RECORDED
    key_attr = "marker_name"

    patch_id: str = ""
    deprecated: bool = False

    def attributes(self) -> dict[str, Any]:
        return {"marker_name": MarkerName.PATCH, "details": {"id": self.patch_id, "deprecated": self.deprecated}}

    @property
    def key(self) -> Any:
        return MarkerName.PATCH

    def matches(self, event: HistoryEvent) -> bool:
        return patch_id_of(event) == self.patch_id

    def describe(self) -> str:
        return f"{EventType.MARKER_RECORDED}({MarkerName.PATCH} {self.patch_id})"


def patch_id_of(event: HistoryEvent) -> str | None:
    """The patch id of a version marker (either format), None for any other event."""
    if event.event_type != EventType.MARKER_RECORDED:
        return None
    details = event.attributes.get("details") or {}
    name = event.attributes.get("marker_name")
    if name == MarkerName.PATCH:
        return details.get("id")
    if name == MarkerName.VERSION:
        return details.get("patch_id")
    return None


@dataclass
class UpsertWorkflowSearchAttributes(Command):
    """Set search attributes. Temporal's core issues one after every patch marker (the patches
    the run took, as TemporalChangeVersion), so a run's versions can be listed by query."""

    event_type = EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES

    search_attributes: dict = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        return {"search_attributes": self.search_attributes}

    def describe(self) -> str:
        return f"{self.event_type}({', '.join(self.search_attributes)})"


@dataclass
class ScheduleLocalActivity(Command):
    """One attempt of a local activity (Temporal's ScheduleLocalActivity). It is not sent to a queue:
    the worker holding the workflow task runs it and fills in `result` or `failure`, and the
    command becomes a MarkerRecorded event carrying that outcome."""

    event_type = EventType.MARKER_RECORDED
    key_attr = "activity_type"

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

    def attributes(self) -> dict[str, Any]:
        if not self.ran:
            raise ValueError(f"local activity {self.activity_type} ({self.activity_id}) was not run before its "
                             "workflow task completed")
        attrs: dict[str, Any] = {"marker_name": MarkerName.LOCAL_ACTIVITY, "activity_id": self.activity_id,
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
        return event.is_local_activity_marker() and event.attributes.get("activity_type") == self.activity_type

    def describe(self) -> str:
        return f"{EventType.MARKER_RECORDED}({MarkerName.LOCAL_ACTIVITY} {self.activity_type})"


@dataclass
class StartChildWorkflowExecution(Command):
    event_type = EventType.START_CHILD_WORKFLOW_EXECUTION_INITIATED
    key_attr = "workflow_type"

    workflow_id: str = ""
    workflow_type: str = ""
    args: list = field(default_factory=list)
    task_queue: str = ""

    def attributes(self) -> dict[str, Any]:
        return {"workflow_id": self.workflow_id, "workflow_type": self.workflow_type, "input": self.args,
                "task_queue": self.task_queue}


@dataclass
class CompleteWorkflowExecution(Command):
    event_type = EventType.WORKFLOW_EXECUTION_COMPLETED

    result: Any = None

    def attributes(self) -> dict[str, Any]:
        return {"result": self.result}


@dataclass
class FailWorkflowExecution(Command):
    event_type = EventType.WORKFLOW_EXECUTION_FAILED

    failure: dict = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        return {"failure": self.failure}


@dataclass
class CancelWorkflowExecution(Command):
    event_type = EventType.WORKFLOW_EXECUTION_CANCELED

    def attributes(self) -> dict[str, Any]:
        return {}


@dataclass
class ContinueAsNewWorkflowExecution(Command):
    event_type = EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW

    args: list = field(default_factory=list)

    def attributes(self) -> dict[str, Any]:
        return {"input": self.args}

