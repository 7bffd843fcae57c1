"""Temporal's wire shapes for the values inside a history: payloads, durations, failures, times.

A Temporal history in JSON (what `temporal workflow show --output json` prints, and what
`temporalio.client.WorkflowHistory.from_json` loads) is the protobuf JSON mapping of
`temporal.api.history.v1.History`: camelCase keys, int64 ids as strings, durations as "10s",
and every user value as a Payload `{metadata: {encoding: base64}, data: base64}`. This engine
stores plain JSON values; these helpers translate one way and the other. Only the encodings the
SDKs' default data converter writes for JSON values are understood (json/plain and binary/null);
any other payload is refused by name instead of being guessed at.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import datetime
from typing import Any

from engines.replay.errors import ReplayError
from engines.replay.history import UTC

JSON_PLAIN = "json/plain"
BINARY_NULL = "binary/null"


class TemporalFormatError(ReplayError):
    """A Temporal history file this engine cannot read: the message names the event and field."""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _unb64(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise TemporalFormatError(f"{where}: expected base64 text, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise TemporalFormatError(f"{where}: not base64-encoded UTF-8 ({exc})") from None


# --- payloads ----------------------------------------------------------------------------------
def payload(value: Any) -> dict[str, Any]:
    """One JSON value as a Payload, encoded as temporalio's default converter does (compact, keys sorted)."""
    if value is None:
        return {"metadata": {"encoding": _b64(BINARY_NULL)}}
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return {"metadata": {"encoding": _b64(JSON_PLAIN)}, "data": _b64(text)}


def payloads(values: list[Any]) -> dict[str, Any]:
    return {"payloads": [payload(v) for v in values]}


def value_of(p: Any, where: str) -> Any:
    """A Payload's JSON value; a clear error for an encoding this engine does not read."""
    if not isinstance(p, dict):
        raise TemporalFormatError(f"{where}: a payload must be an object, got {type(p).__name__}")
    encoding = _unb64((p.get("metadata") or {}).get("encoding", ""), f"{where}.metadata.encoding")
    if encoding == BINARY_NULL:
        return None
    if encoding != JSON_PLAIN:
        raise TemporalFormatError(f"{where}: payload encoding {encoding!r} is not supported "
                                  f"(only {JSON_PLAIN} and {BINARY_NULL}: no codec, no protobuf payloads)")
    text = _unb64(p.get("data", ""), f"{where}.data")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemporalFormatError(f"{where}: payload data is not JSON ({exc.msg})") from None


def values_of(ps: Any, where: str) -> list[Any]:
    """The values of a Payloads message (`{payloads: [...]}`); none when absent."""
    if ps is None:
        return []
    items = ps.get("payloads", []) if isinstance(ps, dict) else None
    if not isinstance(items, list):
        raise TemporalFormatError(f"{where}: expected {{\"payloads\": [...]}}")
    return [value_of(p, f"{where}.payloads[{i}]") for i, p in enumerate(items)]


def single_value(ps: Any, where: str) -> Any:
    """A result-like Payloads: its one value (None when empty; a list when there are several)."""
    found = values_of(ps, where)
    if not found:
        return None
    return found[0] if len(found) == 1 else found


# --- durations and times -----------------------------------------------------------------------
def duration(seconds: float | None) -> str:
    """Seconds as a protobuf JSON Duration ("10s", "0.5s"; "0s" for none)."""
    if seconds is None or seconds <= 0:
        return "0s"
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds:.9f}".rstrip("0") + "s"


def seconds_of(text: Any, where: str) -> float:
    if not isinstance(text, str) or not text.endswith("s"):
        raise TemporalFormatError(f"{where}: expected a duration like \"10s\", got {text!r}")
    try:
        value = float(text[:-1])
    except ValueError:
        raise TemporalFormatError(f"{where}: expected a duration like \"10s\", got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise TemporalFormatError(f"{where}: a duration must be finite and not negative, got {text!r}")
    return value


def timestamp(ts: float) -> str:
    """POSIX seconds as RFC 3339 in UTC, as Temporal prints event times."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts_of(text: Any, where: str) -> float:
    """An RFC 3339 event time (nanoseconds allowed) as POSIX seconds."""
    if not isinstance(text, str):
        raise TemporalFormatError(f"{where}: expected an RFC 3339 time, got {text!r}")
    body = text[:-1] + "+00:00" if text.endswith("Z") else text
    if "." in body:  # Python reads at most microseconds: cut nanoseconds to six digits
        head, rest = body.split(".", 1)
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits):]
        body = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        return datetime.fromisoformat(body).timestamp()
    except ValueError:
        raise TemporalFormatError(f"{where}: expected an RFC 3339 time, got {text!r}") from None


def enum_name(prefix: str, value: str) -> str:
    """`NonRetryableFailure` -> `RETRY_STATE_NON_RETRYABLE_FAILURE` (protobuf enum JSON names)."""
    snake = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(value)).upper()
    return f"{prefix}_{snake}"


def enum_value(prefix: str, name: Any) -> str:
    """`RETRY_STATE_NON_RETRYABLE_FAILURE` -> `NonRetryableFailure`."""
    text = str(name or "")
    if text.startswith(prefix + "_"):
        text = text[len(prefix) + 1:]
    return "".join(part.capitalize() for part in text.lower().split("_"))


# --- failures ----------------------------------------------------------------------------------
_TIMEOUT_TYPES = {"StartToCloseTimeout": "TIMEOUT_TYPE_START_TO_CLOSE", "TimeoutError": "TIMEOUT_TYPE_START_TO_CLOSE",
                  "ScheduleToCloseTimeout": "TIMEOUT_TYPE_SCHEDULE_TO_CLOSE",
                  "ScheduleToStartTimeout": "TIMEOUT_TYPE_SCHEDULE_TO_START", "HeartbeatTimeout": "TIMEOUT_TYPE_HEARTBEAT"}
_TIMEOUT_NAMES = {v: k for k, v in _TIMEOUT_TYPES.items() if k != "TimeoutError"}
#: the message Temporal's SDKs give the wrapper of an activity's failure
ACTIVITY_FAILED = "Activity task failed"


def failure(f: dict[str, Any] | None) -> dict[str, Any]:
    """A stored failure (type, message, non_retryable, and the cause chain) as Temporal's Failure."""
    f = f or {}
    out: dict[str, Any] = {"message": str(f.get("message", ""))}
    info = f.get("activity_failure_info")
    kind = str(f.get("type") or "ApplicationError")
    if isinstance(info, dict):
        out["activityFailureInfo"] = {
            "scheduledEventId": str(info.get("scheduled_event_id", 0)), "startedEventId": str(info.get("started_event_id", 0)),
            "activityType": {"name": info.get("activity_type", "")}, "activityId": info.get("activity_id", ""),
            "retryState": enum_name("RETRY_STATE", str(info.get("retry_state") or "Unspecified"))}
    elif kind in _TIMEOUT_TYPES:
        out["timeoutFailureInfo"] = {"timeoutType": _TIMEOUT_TYPES[kind]}
    elif kind in ("CancelledError", "Canceled"):
        out["canceledFailureInfo"] = {}
    else:
        out["applicationFailureInfo"] = {"type": kind, **({"nonRetryable": True} if f.get("non_retryable") else {})}
    if isinstance(f.get("cause"), dict):
        out["cause"] = failure(f["cause"])
    return out


def failure_of(t: Any, where: str) -> dict[str, Any]:
    """Temporal's Failure as this engine stores one: the type comes from the innermost
    application failure, the chain is kept under `cause`."""
    if not isinstance(t, dict):
        raise TemporalFormatError(f"{where}: a failure must be an object")
    message = str(t.get("message", ""))
    cause = failure_of(t["cause"], f"{where}.cause") if isinstance(t.get("cause"), dict) else None
    out: dict[str, Any]
    if "activityFailureInfo" in t:
        info = t["activityFailureInfo"] or {}
        inner = cause or {"type": "ActivityError", "message": message}
        out = {"type": inner.get("type", "ActivityError"), "message": message,
               "non_retryable": bool(inner.get("non_retryable")),
               "activity_failure_info": {"activity_type": (info.get("activityType") or {}).get("name", ""),
                                         "activity_id": info.get("activityId", ""),
                                         "scheduled_event_id": int(info.get("scheduledEventId", 0) or 0),
                                         "started_event_id": int(info.get("startedEventId", 0) or 0),
                                         "retry_state": enum_value("RETRY_STATE", info.get("retryState"))}}
    elif "childWorkflowExecutionFailureInfo" in t:
        inner = cause or {"type": "ChildWorkflowError", "message": message}
        out = {"type": inner.get("type", "ChildWorkflowError"), "message": message}
    elif "timeoutFailureInfo" in t:
        kind = _TIMEOUT_NAMES.get((t["timeoutFailureInfo"] or {}).get("timeoutType", ""), "StartToCloseTimeout")
        out = {"type": kind, "message": message, "non_retryable": False}
    elif "canceledFailureInfo" in t:
        out = {"type": "CancelledError", "message": message}
    elif "terminatedFailureInfo" in t:
        out = {"type": "Terminated", "message": message}
    else:
        info = t.get("applicationFailureInfo") or {}
        out = {"type": info.get("type") or "ApplicationError", "message": message,
               "non_retryable": bool(info.get("nonRetryable"))}
    if cause is not None:
        out["cause"] = cause
    return out
