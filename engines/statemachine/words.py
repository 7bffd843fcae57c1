"""Plain words for history events, for the trace a person reads beside the event names."""

from __future__ import annotations

import json
from typing import Any, Callable

from engines.statemachine.history import HistoryEventType as E


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_EXECUTION: dict[str, Callable[[dict[str, Any], str], str]] = {
    E.EXECUTION_STARTED: lambda d, err: f"execution started (definition version {d.get('version')}) with input "
                                        f"{_short(d.get('input'))}",
    E.EXECUTION_SUCCEEDED: lambda d, err: f"execution succeeded with output {_short(d.get('output'))}",
    E.EXECUTION_FAILED: lambda d, err: f"execution failed: {err}",
    E.EXECUTION_ABORTED: lambda d, err: "execution stopped (ABORTED): no Catch runs, nothing is compensated",
    E.EXECUTION_TIMED_OUT: lambda d, err: "execution ran past its TimeoutSeconds and timed out",
}
_SUBMITTED = E.TASK_SUBMITTED


def describe(kind: str, state: str | None, d: dict[str, Any]) -> str:
    """One sentence about a history event."""
    s = state or "the execution"
    err = f"{d.get('error')}" + (f" ({d['cause']})" if d.get("cause") else "") if d.get("error") is not None else ""
    if (words := _EXECUTION.get(kind)) is not None:
        return words(d, err)
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
    if kind == _SUBMITTED:
        return f"{s}: waiting for a callback on its task token"
    if kind.endswith("Succeeded"):
        return f"{s}: succeeded" + (f" with {_short(d['output'])}" if d.get("output") is not None else "")
    if kind.endswith("TimedOut"):
        return f"{s}: timed out: {err}"
    if kind.endswith("Failed"):
        return f"{s}: failed: {err}"
    if kind.endswith("Aborted"):
        return f"{s}: aborted"
    return f"{kind} {s}"
