"""A history in Temporal's own JSON: what `temporal workflow show --output json` prints and
`temporalio.client.WorkflowHistory.from_json` (and Temporal's UI) loads, both ways.

`to_temporal_json` writes this engine's events in that format (camelCase attributes named
`<eventType>EventAttributes`, ids as strings, values as Payloads), so a history recorded here can
be replayed by the real SDK's `Replayer` against the real SDK's version of the workflow.
`from_temporal_json` reads a real server's history into this engine's events, so the engine's
driver can replay it against its own version of the workflow. Events that only the server uses
and that carry nothing for the code (time-skipping transitions, options updates) are skipped on
reading; any other event type this engine does not model is refused with its id and type.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from engines.replay import temporal_payloads as tp
from engines.replay.history import EventType, HistoryEvent, MarkerName
from engines.replay.temporal_payloads import TemporalFormatError

#: event types of a real history that hold nothing the workflow code reacts to or issued
SKIPPED_TYPES = frozenset({"WorkflowExecutionTimeSkippingTransitioned", "WorkflowExecutionOptionsUpdated",
                           "WorkflowPropertiesModified", "WorkflowExecutionUpdateAdmitted"})
#: Temporal's search attribute for the patches a run took (written after each patch marker)
CHANGE_VERSION = "TemporalChangeVersion"
_NORMAL_QUEUE = "TASK_QUEUE_KIND_NORMAL"


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _attrs_key(event_type: str) -> str:
    return event_type[0].lower() + event_type[1:] + "EventAttributes"


_FROM_ENUM = {f"EVENT_TYPE_{_upper_snake(t.value)}": t.value for t in EventType}
_FROM_ENUM.update({f"EVENT_TYPE_{_upper_snake(t)}": t for t in SKIPPED_TYPES})


def _queue(name: str) -> dict[str, str]:
    return {"name": name, "kind": _NORMAL_QUEUE}


def _sid(value: Any) -> str:
    return str(int(value or 0))


# --- writing -------------------------------------------------------------------------------------
class _Writer:
    """Walks the events in order, remembering what later events point back to."""

    def __init__(self, workflow_id: str, run_id: str) -> None:
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.completed = 0  # the last WorkflowTaskCompleted: commands' workflowTaskCompletedEventId
        self.timers: dict[str, int] = {}
        self.children_started: dict[int, int] = {}
        self.activity_started: dict[int, int] = {}

    def attributes(self, e: HistoryEvent) -> dict[str, Any]:
        a, t = e.attributes, e.event_type
        wft = {"workflowTaskCompletedEventId": str(self.completed)}
        if t == EventType.WORKFLOW_EXECUTION_STARTED:
            out: dict[str, Any] = {
                "workflowType": {"name": a.get("workflow_type", "")}, "taskQueue": _queue(a.get("task_queue", "default")),
                "input": tp.payloads(list(a.get("input") or [])), "workflowTaskTimeout": "10s", "attempt": 1,
                "originalExecutionRunId": self.run_id, "firstExecutionRunId": self.run_id,
                "firstWorkflowTaskBackoff": "0s", "workflowId": a.get("workflow_id") or self.workflow_id}
            if a.get("parent_workflow_id"):
                out["parentWorkflowNamespace"] = "default"
                out["parentWorkflowExecution"] = {"workflowId": a["parent_workflow_id"], "runId": a.get("parent_run_id", "")}
                out["parentInitiatedEventId"] = _sid(a.get("parent_initiated_event_id"))
            if a.get("continued_from_run_id"):
                out["continuedExecutionRunId"] = a["continued_from_run_id"]
                out["initiator"] = "CONTINUE_AS_NEW_INITIATOR_WORKFLOW"
            return out
        if t == EventType.WORKFLOW_TASK_SCHEDULED:
            return {"taskQueue": _queue(a.get("task_queue", "default")), "startToCloseTimeout": "10s",
                    "attempt": int(a.get("attempt", 1))}
        if t == EventType.WORKFLOW_TASK_STARTED:
            return {"scheduledEventId": _sid(a.get("scheduled_event_id")), "identity": a.get("identity", ""),
                    "requestId": f"{self.run_id}-{e.event_id}"}
        if t == EventType.WORKFLOW_TASK_COMPLETED:
            self.completed = e.event_id
            out = {"scheduledEventId": _sid(a.get("scheduled_event_id")), "startedEventId": _sid(a.get("started_event_id")),
                   "identity": a.get("identity", ""), "sdkMetadata": {}}
            flags = (a.get("sdk_metadata") or {}).get("core_used_flags")
            if flags:
                out["sdkMetadata"] = {"coreUsedFlags": list(flags), "sdkName": "workflow-canvas"}
            return out
        if t == EventType.WORKFLOW_TASK_FAILED:
            cause = a.get("cause", "")
            f = a.get("failure") or {"type": cause, "message": a.get("message", "")}
            return {"scheduledEventId": _sid(a.get("scheduled_event_id")), "startedEventId": _sid(a.get("started_event_id")),
                    "cause": ("WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR" if cause == "NonDeterministicError"
                              else "WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND" if cause == "UnhandledCommand"
                              else "WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE"),
                    "failure": tp.failure(f), "identity": a.get("identity", "")}
        if t == EventType.WORKFLOW_TASK_TIMED_OUT:
            return {"scheduledEventId": _sid(a.get("scheduled_event_id")), "startedEventId": _sid(a.get("started_event_id")),
                    "timeoutType": "TIMEOUT_TYPE_START_TO_CLOSE"}
        if t == EventType.ACTIVITY_TASK_SCHEDULED:
            rp = a.get("retry_policy") or {}
            policy = {"initialInterval": tp.duration(rp.get("initial_interval", 1)),
                      "backoffCoefficient": rp.get("backoff_coefficient", 2.0),
                      "maximumInterval": tp.duration(rp.get("maximum_interval", 100)),
                      "maximumAttempts": int(rp.get("maximum_attempts", 0))}
            if rp.get("non_retryable_error_types"):
                policy["nonRetryableErrorTypes"] = list(rp["non_retryable_error_types"])
            return {"activityId": a.get("activity_id", ""), "activityType": {"name": a.get("activity_type", "")},
                    "taskQueue": _queue(a.get("task_queue", "default")), "header": {},
                    "input": tp.payloads(list(a.get("input") or [])),
                    "scheduleToCloseTimeout": tp.duration(a.get("schedule_to_close_timeout")), "scheduleToStartTimeout": "0s",
                    "startToCloseTimeout": tp.duration(a.get("start_to_close_timeout")), "heartbeatTimeout": "0s",
                    **wft, "retryPolicy": policy}
        if t == EventType.ACTIVITY_TASK_STARTED:
            self.activity_started[int(a.get("scheduled_event_id", 0))] = e.event_id
            out = {"scheduledEventId": _sid(a.get("scheduled_event_id")), "identity": a.get("identity") or "",
                   "requestId": f"{self.run_id}-{e.event_id}", "attempt": int(a.get("attempt", 1))}
            if a.get("last_failure"):
                out["lastFailure"] = tp.failure(a["last_failure"])
            return out
        if t == EventType.ACTIVITY_TASK_COMPLETED:
            return {"result": tp.payloads([a.get("result")]), "scheduledEventId": _sid(a.get("scheduled_event_id")),
                    "startedEventId": _sid(a.get("started_event_id")), "identity": a.get("identity", "")}
        if t in (EventType.ACTIVITY_TASK_FAILED, EventType.ACTIVITY_TASK_TIMED_OUT):
            f = a.get("failure") or {"type": "StartToCloseTimeout", "message": "activity timed out"}
            return {"failure": tp.failure(f), "scheduledEventId": _sid(a.get("scheduled_event_id")),
                    "startedEventId": _sid(a.get("started_event_id")),
                    "retryState": tp.enum_name("RETRY_STATE", str(a.get("retry_state") or "Unspecified"))}
        if t == EventType.TIMER_STARTED:
            self.timers[str(a.get("timer_id"))] = e.event_id
            return {"timerId": str(a.get("timer_id")), "startToFireTimeout": tp.duration(a.get("duration_seconds")), **wft}
        if t == EventType.TIMER_FIRED:
            return {"timerId": str(a.get("timer_id")), "startedEventId": _sid(a.get("started_event_id"))}
        if t == EventType.TIMER_CANCELED:
            return {"timerId": str(a.get("timer_id")), "startedEventId": str(self.timers.get(str(a.get("timer_id")), 0)),
                    **wft, "identity": ""}
        if t == EventType.MARKER_RECORDED:
            return {**_marker_out(a), **wft}
        if t == EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            return {**wft, "searchAttributes": {"indexedFields": {
                name: _search_attribute(name, value) for name, value in (a.get("search_attributes") or {}).items()}}}
        if t == EventType.WORKFLOW_EXECUTION_SIGNALED:
            out = {"signalName": a.get("signal_name", ""), "identity": a.get("identity", "")}
            if a.get("input") is not None:
                out["input"] = tp.payloads([a["input"]])
            return out
        if t == EventType.WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            return {"cause": a.get("reason", ""), "identity": a.get("identity", "")}
        if t == EventType.WORKFLOW_EXECUTION_COMPLETED:
            return {"result": tp.payloads([a.get("result")]), **wft}
        if t == EventType.WORKFLOW_EXECUTION_FAILED:
            return {"failure": tp.failure(a.get("failure")), "retryState": "RETRY_STATE_RETRY_POLICY_NOT_SET", **wft}
        if t == EventType.WORKFLOW_EXECUTION_CANCELED:
            return {**wft}
        if t == EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            return {"newExecutionRunId": a.get("new_run_id", ""), "workflowType": {"name": a.get("workflow_type", "")},
                    "taskQueue": _queue(a.get("task_queue", "default")), "input": tp.payloads(list(a.get("input") or [])),
                    "workflowTaskTimeout": "10s", **wft}
        if t == EventType.WORKFLOW_EXECUTION_TERMINATED:
            return {"reason": a.get("reason", ""), "identity": ""}
        if t == EventType.START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            return {"namespace": "default", "workflowId": a.get("workflow_id", ""),
                    "workflowType": {"name": a.get("workflow_type", "")}, "taskQueue": _queue(a.get("task_queue", "default")),
                    "input": tp.payloads(list(a.get("input") or [])), "workflowTaskTimeout": "10s",
                    "parentClosePolicy": "PARENT_CLOSE_POLICY_TERMINATE", **wft,
                    "workflowIdReusePolicy": "WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE"}
        # the child's own events name it by its execution and initiating event
        child = {"namespace": "default", "initiatedEventId": _sid(a.get("initiated_event_id")),
                 "workflowExecution": {"workflowId": a.get("workflow_id", ""), "runId": a.get("run_id", "")},
                 "workflowType": {"name": a.get("workflow_type", "")}}
        if t == EventType.CHILD_WORKFLOW_EXECUTION_STARTED:
            self.children_started[int(a.get("initiated_event_id", 0))] = e.event_id
            return child
        started = {"startedEventId": str(self.children_started.get(int(a.get("initiated_event_id", 0)), 0))}
        if t == EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED:
            return {"result": tp.payloads([a.get("result")]), **child, **started}
        if t == EventType.CHILD_WORKFLOW_EXECUTION_FAILED:
            return {"failure": tp.failure(a.get("failure")), **child, **started, "retryState": "RETRY_STATE_RETRY_POLICY_NOT_SET"}
        return {**child, **started}  # canceled, terminated


def _search_attribute(name: str, value: Any) -> dict[str, Any]:
    kind = ("KeywordList" if isinstance(value, list) else "Bool" if isinstance(value, bool) else
            "Int" if isinstance(value, int) else "Double" if isinstance(value, float) else "Keyword")
    p = tp.payload(value)
    p["metadata"]["type"] = base64.b64encode(kind.encode("ascii")).decode("ascii")  # the search attribute's type
    return p


def _marker_out(a: dict[str, Any]) -> dict[str, Any]:
    name = a.get("marker_name", "")
    details = a.get("details") or {}
    if name in (MarkerName.PATCH, MarkerName.VERSION):  # the old "Version" marker is written as Temporal's
        patch = {"id": details.get("id", details.get("patch_id", "")), "deprecated": bool(details.get("deprecated"))}
        return {"markerName": MarkerName.PATCH.value, "details": {"patch-data": tp.payloads([patch])}}
    if name == MarkerName.LOCAL_ACTIVITY:
        data = {"activity_id": a.get("activity_id"), "activity_type": a.get("activity_type"), "attempt": a.get("attempt", 1)}
        if a.get("backoff_seconds") is not None:
            data["backoff_seconds"] = a["backoff_seconds"]
        out: dict[str, Any] = {"markerName": "core_local_activity", "details": {"data": tp.payloads([data])}}
        if "failure" in a:
            out["failure"] = tp.failure(a["failure"])
        else:
            out["details"]["result"] = tp.payloads([a.get("result")])
        return out
    return {"markerName": name, "details": {k: tp.payloads([v]) for k, v in details.items()}}


def to_temporal_json(events: list[HistoryEvent], *, workflow_id: str, run_id: str) -> dict[str, Any]:
    """The run's history as Temporal's History JSON (`{"events": [...]}`)."""
    writer = _Writer(workflow_id, run_id)
    out = []
    for e in events:
        t = str(e.event_type)
        out.append({"eventId": str(e.event_id), "eventTime": tp.timestamp(e.ts), "eventType": f"EVENT_TYPE_{_upper_snake(t)}",
                    "taskId": str(e.event_id), _attrs_key(t): writer.attributes(e)})
    return {"events": out}


# --- reading -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemporalHistory:
    """A history read from Temporal's JSON: the run's workflow id and type, and its events."""

    workflow_id: str
    workflow_type: str
    run_id: str
    events: list[HistoryEvent]


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.activity_types: dict[int, str] = {}
        self.activity_attempts: dict[int, int] = {}
        self.children: dict[int, dict[str, str]] = {}

    def attributes(self, t: str, raw: dict[str, Any], event_id: int, ts: float) -> dict[str, Any]:
        w = f"{self.source}: event {event_id} ({t})"

        def ids(key: str) -> int:
            try:
                return int(raw.get(key, 0) or 0)
            except (TypeError, ValueError):
                raise TemporalFormatError(f"{w}: {key} is not an event id: {raw.get(key)!r}") from None

        if t == EventType.WORKFLOW_EXECUTION_STARTED:
            out: dict[str, Any] = {"workflow_type": (raw.get("workflowType") or {}).get("name", ""),
                                   "task_queue": (raw.get("taskQueue") or {}).get("name", "default"),
                                   "input": tp.values_of(raw.get("input"), f"{w}: input")}
            if raw.get("workflowId"):
                out["workflow_id"] = raw["workflowId"]
            if raw.get("originalExecutionRunId") or raw.get("firstExecutionRunId"):
                out["run_id"] = raw.get("originalExecutionRunId") or raw.get("firstExecutionRunId")
            parent = raw.get("parentWorkflowExecution")
            if parent:
                out.update(parent_workflow_id=parent.get("workflowId", ""), parent_run_id=parent.get("runId", ""),
                           parent_initiated_event_id=ids("parentInitiatedEventId"))
            if raw.get("continuedExecutionRunId"):
                out["continued_from_run_id"] = raw["continuedExecutionRunId"]
            return out
        if t == EventType.WORKFLOW_TASK_SCHEDULED:
            return {"task_queue": (raw.get("taskQueue") or {}).get("name", "default"), "attempt": int(raw.get("attempt", 1))}
        if t == EventType.WORKFLOW_TASK_STARTED:
            return {"scheduled_event_id": ids("scheduledEventId"), "identity": raw.get("identity", "")}
        if t == EventType.WORKFLOW_TASK_COMPLETED:
            out = {"scheduled_event_id": ids("scheduledEventId"), "started_event_id": ids("startedEventId"),
                   "identity": raw.get("identity", "")}
            flags = (raw.get("sdkMetadata") or {}).get("coreUsedFlags")
            if flags:
                out["sdk_metadata"] = {"core_used_flags": [int(f) for f in flags]}
            return out
        if t == EventType.WORKFLOW_TASK_FAILED:
            f = tp.failure_of(raw.get("failure") or {}, f"{w}: failure")
            cause = tp.enum_value("WORKFLOW_TASK_FAILED_CAUSE", raw.get("cause"))
            return {"scheduled_event_id": ids("scheduledEventId"), "started_event_id": ids("startedEventId"),
                    "cause": "NonDeterministicError" if cause == "NonDeterministicError" else cause,
                    "message": f.get("message", ""), "failure": f, "identity": raw.get("identity", "")}
        if t == EventType.WORKFLOW_TASK_TIMED_OUT:
            return {"scheduled_event_id": ids("scheduledEventId"), "started_event_id": ids("startedEventId")}
        if t == EventType.ACTIVITY_TASK_SCHEDULED:
            rp = raw.get("retryPolicy") or {}
            kind = (raw.get("activityType") or {}).get("name", "")
            self.activity_types[event_id] = kind
            return {"activity_id": raw.get("activityId", ""), "activity_type": kind,
                    "input": tp.values_of(raw.get("input"), f"{w}: input"),
                    "task_queue": (raw.get("taskQueue") or {}).get("name", "default"),
                    "retry_policy": {"initial_interval": tp.seconds_of(rp.get("initialInterval", "1s"), f"{w}: initialInterval"),
                                     "backoff_coefficient": float(rp.get("backoffCoefficient", 2.0)),
                                     "maximum_interval": tp.seconds_of(rp.get("maximumInterval", "100s"), f"{w}: maximumInterval"),
                                     "maximum_attempts": int(rp.get("maximumAttempts", 0)),
                                     "non_retryable_error_types": list(rp.get("nonRetryableErrorTypes", []))},
                    "start_to_close_timeout": tp.seconds_of(raw.get("startToCloseTimeout", "0s"), f"{w}: startToCloseTimeout"),
                    "schedule_to_close_timeout": (tp.seconds_of(raw["scheduleToCloseTimeout"], f"{w}: scheduleToCloseTimeout")
                                                  or None) if raw.get("scheduleToCloseTimeout") else None}
        if t == EventType.ACTIVITY_TASK_STARTED:
            sched = ids("scheduledEventId")
            self.activity_attempts[sched] = int(raw.get("attempt", 1))
            out = {"scheduled_event_id": sched, "attempt": int(raw.get("attempt", 1)), "identity": raw.get("identity", "")}
            if raw.get("lastFailure"):
                out["last_failure"] = tp.failure_of(raw["lastFailure"], f"{w}: lastFailure")
            return out
        if t == EventType.ACTIVITY_TASK_COMPLETED:
            sched = ids("scheduledEventId")
            return {"scheduled_event_id": sched, "started_event_id": ids("startedEventId"),
                    "activity_type": self.activity_types.get(sched, ""),
                    "result": tp.single_value(raw.get("result"), f"{w}: result")}
        if t in (EventType.ACTIVITY_TASK_FAILED, EventType.ACTIVITY_TASK_TIMED_OUT):
            sched = ids("scheduledEventId")
            return {"scheduled_event_id": sched, "started_event_id": ids("startedEventId"),
                    "attempt": self.activity_attempts.get(sched, 1), "activity_type": self.activity_types.get(sched, ""),
                    "failure": tp.failure_of(raw.get("failure") or {}, f"{w}: failure"),
                    "retry_state": tp.enum_value("RETRY_STATE", raw.get("retryState"))}
        if t == EventType.TIMER_STARTED:
            seconds = tp.seconds_of(raw.get("startToFireTimeout", "0s"), f"{w}: startToFireTimeout")
            return {"timer_id": str(raw.get("timerId", "")), "duration_seconds": seconds,
                    "fire_at": tp.timestamp(ts + seconds)}
        if t == EventType.TIMER_FIRED:
            return {"timer_id": str(raw.get("timerId", "")), "started_event_id": ids("startedEventId")}
        if t == EventType.TIMER_CANCELED:
            return {"timer_id": str(raw.get("timerId", ""))}
        if t == EventType.MARKER_RECORDED:
            return _marker_in(raw, w)
        if t == EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = ((raw.get("searchAttributes") or {}).get("indexedFields") or {})
            return {"search_attributes": {k: tp.value_of(v, f"{w}: searchAttributes.{k}") for k, v in fields.items()}}
        if t == EventType.WORKFLOW_EXECUTION_SIGNALED:
            return {"signal_name": raw.get("signalName", ""), "input": tp.single_value(raw.get("input"), f"{w}: input")}
        if t == EventType.WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            return {"reason": raw.get("cause", "")}
        if t == EventType.WORKFLOW_EXECUTION_COMPLETED:
            return {"result": tp.single_value(raw.get("result"), f"{w}: result")}
        if t == EventType.WORKFLOW_EXECUTION_FAILED:
            return {"failure": tp.failure_of(raw.get("failure") or {}, f"{w}: failure")}
        if t == EventType.WORKFLOW_EXECUTION_CANCELED:
            return {}
        if t == EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            return {"input": tp.values_of(raw.get("input"), f"{w}: input"), "new_run_id": raw.get("newExecutionRunId", "")}
        if t == EventType.WORKFLOW_EXECUTION_TERMINATED:
            return {"reason": raw.get("reason", "")}
        if t == EventType.START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child = {"workflow_id": raw.get("workflowId", ""), "workflow_type": (raw.get("workflowType") or {}).get("name", "")}
            self.children[event_id] = child
            return {**child, "input": tp.values_of(raw.get("input"), f"{w}: input"),
                    "task_queue": (raw.get("taskQueue") or {}).get("name", "default")}
        execution = raw.get("workflowExecution") or {}
        out = {"initiated_event_id": ids("initiatedEventId"), "workflow_id": execution.get("workflowId", ""),
               "workflow_type": (raw.get("workflowType") or {}).get("name", ""), "run_id": execution.get("runId", "")}
        if t == EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED:
            out["result"] = tp.single_value(raw.get("result"), f"{w}: result")
        elif t == EventType.CHILD_WORKFLOW_EXECUTION_FAILED:
            out["failure"] = tp.failure_of(raw.get("failure") or {}, f"{w}: failure")
        return out


def _marker_in(raw: dict[str, Any], w: str) -> dict[str, Any]:
    name = raw.get("markerName", "")
    details = raw.get("details") or {}
    if name == MarkerName.PATCH:
        data = tp.single_value(details.get("patch-data") or details.get("patch_data"), f"{w}: details.patch-data") or {}
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise TemporalFormatError(f"{w}: a core_patch marker needs patch-data {{id, deprecated}}")
        return {"marker_name": MarkerName.PATCH.value, "details": {"id": data["id"], "deprecated": bool(data.get("deprecated"))}}
    if name == "core_local_activity":
        data = tp.single_value(details.get("data"), f"{w}: details.data") or {}
        out: dict[str, Any] = {"marker_name": MarkerName.LOCAL_ACTIVITY.value, "activity_id": str(data.get("activity_id", "")),
                               "activity_type": data.get("activity_type", ""), "attempt": int(data.get("attempt", 1))}
        if raw.get("failure"):
            out["failure"] = tp.failure_of(raw["failure"], f"{w}: failure")
            if data.get("backoff_seconds") is not None:
                out["backoff_seconds"] = float(data["backoff_seconds"])
        else:
            out["result"] = tp.single_value(details.get("result"), f"{w}: details.result")
        return out
    return {"marker_name": name, "details": {k: tp.single_value(v, f"{w}: details.{k}") for k, v in details.items()}}


def from_temporal_json(data: Any, source: str, *, workflow_id: str = "") -> TemporalHistory:
    """Temporal's History JSON (`{"events": [...]}`, event types as `EVENT_TYPE_...` or plain)
    as this engine's events. `source` names the file in errors; nothing is evaluated."""
    events_raw = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events_raw, list) or not events_raw:
        raise TemporalFormatError(f"{source}: not a Temporal history: expected an object with a non-empty \"events\" list")
    reader = _Reader(source)
    events: list[HistoryEvent] = []
    last_id = 0
    for i, raw in enumerate(events_raw):
        if not isinstance(raw, dict):
            raise TemporalFormatError(f"{source}: events[{i}] is not an object")
        try:
            event_id = int(raw.get("eventId", 0))
        except (TypeError, ValueError):
            raise TemporalFormatError(f"{source}: events[{i}]: eventId {raw.get('eventId')!r} is not a number") from None
        if event_id <= last_id:
            raise TemporalFormatError(f"{source}: events[{i}]: eventId {event_id} does not follow {last_id}")
        last_id = event_id
        kind = str(raw.get("eventType", ""))
        t = _FROM_ENUM.get(kind, kind)
        if t in SKIPPED_TYPES:
            continue
        try:
            event_type = EventType(t)
        except ValueError:
            raise TemporalFormatError(f"{source}: event {event_id}: event type {kind or '(none)'} is not one this engine "
                                      "replays") from None
        ts = tp.ts_of(raw.get("eventTime"), f"{source}: event {event_id}: eventTime")
        body = raw.get(_attrs_key(t)) or {}
        if not isinstance(body, dict):
            raise TemporalFormatError(f"{source}: event {event_id}: {_attrs_key(t)} is not an object")
        events.append(HistoryEvent(event_id, ts, event_type, reader.attributes(t, body, event_id, ts)))
    first = events[0] if events else None
    if first is None or first.event_type != EventType.WORKFLOW_EXECUTION_STARTED:
        raise TemporalFormatError(f"{source}: the first event must be WorkflowExecutionStarted")
    wid = str(first.attributes.get("workflow_id") or workflow_id or "")
    return TemporalHistory(workflow_id=wid, workflow_type=str(first.attributes.get("workflow_type", "")),
                           run_id=str(first.attributes.get("run_id", "")), events=events)


__all__ = ["CHANGE_VERSION", "SKIPPED_TYPES", "TemporalFormatError", "TemporalHistory", "from_temporal_json",
           "to_temporal_json"]
