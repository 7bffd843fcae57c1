"""Event histories grouped the way the real consoles group them.

Temporal's Web UI folds an activity's Scheduled / Started / Completed (or Failed, TimedOut,
Canceled) into one row keyed by the scheduled event id, a timer's Started / Fired (or Canceled)
by its timer id, a child workflow's Initiated / Started / Completed by the initiated event id, and
a workflow task's Scheduled / Started / Completed likewise; a signal or a marker is a row of its
own. The Step Functions console groups an execution's events by the state they belong to (from
StateEntered to StateExited, the Task events in between). Plain functions over plain rows, so the
inspector and the tests read the same grouping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Iterable, Mapping


class GroupKind(StrEnum):
    ACTIVITY = "Activity"
    LOCAL_ACTIVITY = "Local activity"
    TIMER = "Timer"
    CHILD = "Child workflow"
    WORKFLOW_TASK = "Workflow task"
    SIGNAL = "Signal"
    MARKER = "Marker"
    WORKFLOW = "Workflow"
    STATE = "State"
    EXECUTION = "Execution"
    OTHER = "Event"


#: A group is still open until one of these ends it; its status is the ending word.
_ENDINGS = ("Completed", "Failed", "TimedOut", "Canceled", "Cancelled", "Terminated", "Fired", "Succeeded",
            "Aborted", "Exited", "ContinuedAsNew")


@dataclass
class EventGroup:
    """One row of the grouped history: what it is, how it ended, and the events it folds."""

    kind: GroupKind
    name: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first_id(self) -> Any:
        return self.events[0].get("id") if self.events else None

    @property
    def last_id(self) -> Any:
        return self.events[-1].get("id") if self.events else None

    @property
    def status(self) -> str:
        """The last event's outcome word (Completed, Failed, Fired…), or 'Pending' while none ended it."""
        if self.kind in (GroupKind.WORKFLOW, GroupKind.EXECUTION):
            return ""  # the name already says it: Started, Completed, Failed…
        if self.kind is GroupKind.STATE:  # the console colours a state by its worst inner event
            kinds = [str(e.get("type", "")) for e in self.events]
            for word in ("Failed", "TimedOut", "Aborted"):
                if any(k.endswith(word) for k in kinds):
                    caught = word == "Failed" and kinds[-1].endswith("StateExited")
                    return f"{word} (caught)" if caught else word
            return "Succeeded" if kinds and kinds[-1].endswith("StateExited") else "In progress"
        for event in reversed(self.events):
            kind = str(event.get("type", ""))
            for word in _ENDINGS:
                if kind.endswith(word):
                    return "Canceled" if word == "Cancelled" else word
        if self.kind in (GroupKind.SIGNAL, GroupKind.MARKER, GroupKind.OTHER):
            return ""  # one event: nothing to end
        return "Pending"

    @property
    def replayed(self) -> bool | None:
        flags = [e.get("replayed") for e in self.events if e.get("replayed") is not None]
        return all(flags) if flags else None

    def label(self) -> str:
        ids = f"{self.first_id}" if self.first_id == self.last_id else f"{self.first_id}–{self.last_id}"
        parts = [str(self.kind), self.name, self.status]
        return " · ".join(p for p in parts if p) + f" (events {ids})"


def _attrs(row: Mapping[str, Any]) -> Mapping[str, Any]:
    value = row.get("attributes")
    return value if isinstance(value, Mapping) else {}


def temporal_groups(rows: Iterable[Mapping[str, Any]]) -> list[EventGroup]:
    """Group a Temporal-style event history as Temporal's Web UI does, in first-event order."""
    groups: list[EventGroup] = []
    open_by_key: dict[tuple[str, Any], EventGroup] = {}
    for raw in rows:
        row = dict(raw)
        kind = str(row.get("type", ""))
        attrs = _attrs(row)
        key: tuple[str, Any] | None = None
        group_kind, name = GroupKind.OTHER, ""
        if kind.startswith("ActivityTask"):
            group_kind = GroupKind.ACTIVITY
            key = ("activity", row.get("id") if kind == "ActivityTaskScheduled" else attrs.get("scheduled_event_id"))
            name = str(attrs.get("activity_type") or "")
        elif kind.startswith("Timer"):
            group_kind, key = GroupKind.TIMER, ("timer", attrs.get("timer_id"))
            name = _duration_words(attrs.get("duration_seconds"))
        elif kind.startswith(("StartChildWorkflowExecution", "ChildWorkflowExecution")):
            group_kind = GroupKind.CHILD
            key = ("child", row.get("id") if kind.endswith("Initiated") else attrs.get("initiated_event_id"))
            name = str(attrs.get("workflow_type") or attrs.get("workflow_id") or "")
        elif kind.startswith("WorkflowTask"):
            group_kind = GroupKind.WORKFLOW_TASK
            key = ("wft", row.get("id") if kind == "WorkflowTaskScheduled" else attrs.get("scheduled_event_id"))
        elif kind == "WorkflowExecutionSignaled":
            group_kind, name = GroupKind.SIGNAL, str(attrs.get("signal_name") or "")
        elif kind == "MarkerRecorded":
            marker = str(attrs.get("marker_name") or "")
            group_kind = GroupKind.LOCAL_ACTIVITY if "local" in marker.lower() else GroupKind.MARKER
            name = str(attrs.get("activity_type") or attrs.get("patch_id") or attrs.get("change_id") or marker)
        elif kind.startswith("WorkflowExecution"):
            group_kind, name = GroupKind.WORKFLOW, kind.removeprefix("WorkflowExecution")
        group = open_by_key.get(key) if key is not None and key[1] is not None else None
        if group is None:
            group = EventGroup(group_kind, name)
            groups.append(group)
            if key is not None and key[1] is not None:
                open_by_key[key] = group
        elif not group.name and name:
            group.name = name
        group.events.append(row)
        if key is not None and kind.endswith(_ENDINGS):
            # closed: Temporal lets a later timer (or activity) reuse the id once this one has ended
            open_by_key.pop(key, None)
    return groups


def state_groups(rows: Iterable[Mapping[str, Any]]) -> list[EventGroup]:
    """Group a Step Functions execution history by state, as the console's event view does."""
    groups: list[EventGroup] = []
    current: EventGroup | None = None
    for raw in rows:
        row = dict(raw)
        kind = str(row.get("type", ""))
        state = row.get("state")
        if kind.endswith("StateEntered") or (state and (current is None or current.name != state)):
            current = EventGroup(GroupKind.STATE, str(state or ""))
            groups.append(current)
        elif current is None or not state:
            groups.append(EventGroup(GroupKind.EXECUTION, kind.removeprefix("Execution"), [row]))
            current = None
            continue
        current.events.append(row)
        if kind.endswith("StateExited"):
            current = None
    return groups


def _duration_words(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
