"""The Wait state: an absolute due time on the clock, never a sleep.

Seconds/SecondsPath count from now; Timestamp/TimestampPath name an RFC 3339 instant (one in the
past ends the wait at once). The due time goes into the thread, so a process that dies during a
30-day wait is replaced by one that re-arms the same instant.

The seconds are "an integer value from 0 to 99999999"; a JSONata expression "must evaluate to an
integer in the stated range" (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html).
A SecondsPath value that is not such an integer fails the state with States.Runtime in AWS's
words (LocalStack's wait_function/seconds_path.py): 1.5, NaN or 2^70 never reach the clock.
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


#: The longest wait a Wait state may name, in seconds.
MAX_WAIT_SECONDS = 99_999_999
#: The farthest a Timestamp may lie ahead: AWS keeps the delay in a signed 32-bit count of seconds.
MAX_TIMESTAMP_DELAY = 2**31 - 1


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
        return view.fill(v, field) if view.jsonata else v

    if "Seconds" in state or "SecondsPath" in state:
        field = "Seconds" if "Seconds" in state else "SecondsPath"
        secs = value(field)
        said = f"{state[field]} == {secs!r}" if field == "SecondsPath" else repr(secs)
        if isinstance(secs, float) and secs.is_integer() and view.jsonata:
            secs = int(secs)  # JSONata numbers are doubles: 10 may come back as 10.0
        if not isinstance(secs, int) or isinstance(secs, bool):
            raise StatesError(RUNTIME, f"The {field} parameter cannot be parsed as a long value: {said}")
        if secs < 0:
            raise StatesError(RUNTIME, f"The {field} parameter references a negative value: {said}")
        if secs > MAX_WAIT_SECONDS:
            raise StatesError(RUNTIME, f"The {field} parameter is more than the maximum of {MAX_WAIT_SECONDS} seconds: {said}")
        return now + timedelta(seconds=secs)
    ts = value("Timestamp" if "Timestamp" in state else "TimestampPath")
    t = choice.parse_timestamp(ts)
    if t is None:
        raise StatesError(RUNTIME, f"Wait {name!r}: {ts!r} is not an RFC 3339 timestamp")
    try:
        due = max(as_utc(t), now)
        if (due - now).total_seconds() > MAX_TIMESTAMP_DELAY:
            # recorded against AWS: 24,855 days ahead waits, 24,856 fails so (LocalStack
            # base/test_wait.snapshot.json, test_timestamp_too_far_in_future_boundary)
            raise StatesError(RUNTIME, "Wait state delay is too long.")
        return due
    except OverflowError:  # a timestamp at the very edge of the calendar, moved to UTC
        raise StatesError(RUNTIME, f"Wait {name!r}: {ts!r} is out of range") from None
