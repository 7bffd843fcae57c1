"""Plain words for history events, for the trace a person reads beside the event names."""

from __future__ import annotations

from typing import Any


def _short(value: Any, limit: int = 60) -> str:
    import json

    text = json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(kind: str, state: str | None, d: dict[str, Any]) -> str:
    """One sentence about a history event."""
    s = state or "the execution"
    err = f"{d.get('error')}" + (f" ({d['cause']})" if d.get("cause") else "") if d.get("error") is not None else ""
    if kind == "ExecutionStarted":
        return f"execution started (definition version {d.get('version')}) with input {_short(d.get('input'))}"
    if kind == "ExecutionSucceeded":
        return f"execution succeeded with output {_short(d.get('output'))}"
    if kind == "ExecutionFailed":
        return f"execution failed: {err}"
    if kind == "ExecutionAborted":
        return "execution stopped (ABORTED): no Catch runs, nothing is compensated"
    if kind == "ExecutionTimedOut":
        return "execution ran past its TimeoutSeconds and timed out"
    if kind.endswith("StateEntered"):
        return f"entered {s}"
    if kind.endswith("StateExited"):
        if d.get("caught"):
            return f"left {s}: Catch took {d['caught']}"
        return f"left {s}"
    if kind.endswith("Scheduled"):
        return f"{s}: task scheduled on {d.get('resource')}"
    if kind.endswith("Started"):
        return f"{s}: started"
    if kind == "TaskSubmitted":
        return f"{s}: waiting for a callback on its task token"
    if kind.endswith("Succeeded"):
        return f"{s}: succeeded" + (f" with {_short(d['output'])}" if d.get("output") is not None else "")
    if kind.endswith("TimedOut"):
        return f"{s}: timed out: {err}"
    if kind.endswith("Failed"):
        return f"{s}: failed: {err}"
    if kind == "MapIterationStarted":
        return f"{s}: item {d.get('index')} started"
    if kind.endswith("Aborted"):
        return f"{s}: aborted"
    return f"{kind} {s}"
