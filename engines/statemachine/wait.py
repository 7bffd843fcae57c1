"""The Wait state: an absolute due time on the clock, never a sleep.

Seconds/SecondsPath count from now; Timestamp/TimestampPath name an RFC 3339 instant (one in the
past ends the wait at once). The due time goes into the thread, so a process that dies during a
30-day wait is replaced by one that re-arms the same instant.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engines.clock import as_utc
from engines.statemachine import choice, dataflow
from engines.statemachine.dataflow import StateView
from engines.statemachine.errors import RUNTIME, StatesError
from engines.statemachine.execution import Execution
from engines.statemachine.history import HistoryEventType
from engines.statemachine.runtime import Runtime
from engines.statemachine.threads import Phase, Thread
from engines.statemachine.timestamps import iso


def enter_wait(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    """WaitStateEntered (with the wait's length for the trace) and the thread waits until its due time."""
    now = rt.clock.now()
    try:
        due = wait_until(state, rt.view(ex, th, state), now, th.state)
    except StatesError:
        rt.event(ex, HistoryEventType.WAIT_STATE_ENTERED, th.state, input=th.input)
        raise
    waited = (due - now).total_seconds()
    # wait_seconds is trace data only (not in AWS's stateEnteredEventDetails)
    rt.event(ex, HistoryEventType.WAIT_STATE_ENTERED, th.state, input=th.input, wait_seconds=waited)
    th.phase, th.due, th.waited = Phase.WAIT, iso(due), waited


def wait_until(state: dict, view: StateView, now: datetime, name: str) -> datetime:
    """When the Wait state `name` ends: Seconds/SecondsPath from now, or Timestamp/TimestampPath (past → now)."""
    data = view.input if view.jsonata else dataflow.select_or_empty(view.input, state, "InputPath", view.context,
                                                                   view.variables)

    def value(field: str) -> Any:
        v = state[field]
        if field.endswith("Path"):
            return view.read(v, field, data)
        return view.fill(v) if view.jsonata else v

    if "Seconds" in state or "SecondsPath" in state:
        secs = value("Seconds" if "Seconds" in state else "SecondsPath")
        if not isinstance(secs, (int, float)) or isinstance(secs, bool) or secs < 0:
            raise StatesError(RUNTIME, f"Wait {name!r}: seconds must be a non-negative number, got {secs!r}")
        return now + timedelta(seconds=secs)
    ts = value("Timestamp" if "Timestamp" in state else "TimestampPath")
    t = choice.parse_timestamp(ts)
    if t is None:
        raise StatesError(RUNTIME, f"Wait {name!r}: {ts!r} is not an RFC 3339 timestamp")
    return max(as_utc(t), now)
