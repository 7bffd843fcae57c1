"""A state's error, handled as Step Functions does: the first matching retrier, else the first matching catcher.

A retrier matches by ErrorEquals (errors.error_matches: States.ALL, States.TaskFailed and the
terminal errors follow AWS) and, while it has attempts left, puts the thread in RETRY until its
back-off (retry.retry_delay) is due; once a matching retrier is used up, no later retrier is
tried. A catcher sends the thread to its Next with the error object placed by its ResultPath (or
Output) and applies its Assign. With neither, the thread fails with the error.
"""

from __future__ import annotations

from datetime import timedelta

from engines.statemachine import dataflow
from engines.statemachine.errors import RUNTIME, error_matches
from engines.statemachine.execution import Execution
from engines.statemachine.history import HistoryEventType
from engines.statemachine.retry import retry_delay
from engines.statemachine.runtime import Runtime
from engines.statemachine.threads import Phase, Thread
from engines.statemachine.timestamps import iso
from engines.trace import Severity

#: The trace event for a scheduled retry (the engine's own: AWS history has no such event).
RETRY_SCHEDULED = "RetryScheduled"


def _matches(error_equals: list[str], error: str, also: tuple[str, ...]) -> bool:
    return error_matches(error_equals, error) or any(name in error_equals for name in also)


def handle_error(rt: Runtime, ex: Execution, th: Thread, state: dict, error: str, cause: str,
                 also: tuple[str, ...] = ()) -> None:
    """Retry if a retrier matches and has attempts left, else Catch, else fail the thread.

    `also` are further names the error answers to (a heartbeat expiry is States.Timeout and, for
    ErrorEquals, States.HeartbeatTimeout too).
    """
    if not th.active:
        return
    if th.token:  # e.g. a callback task whose parameters failed after its token was issued: that token is dead
        rt.tables.close_token(th.token)
        th.token = None
    for i, retrier in enumerate(state.get("Retry") or []):
        if _matches(retrier["ErrorEquals"], error, also):
            used = th.attempts.get(str(i), 0)
            if used < retrier.get("MaxAttempts", 3):
                delay = retry_delay(retrier, used, rt.rng)
                now = rt.clock.now()
                try:
                    due = now + timedelta(seconds=delay)
                except (OverflowError, ValueError):  # inf, or past year 9999
                    rt.thread_failed(ex, th, RUNTIME, f"The Retry back-off of state {th.state!r} before retry {used + 1} "
                                     f"({delay:g} s: IntervalSeconds × BackoffRate^{used}) is past the end of the calendar; "
                                     "set MaxDelaySeconds")
                    return
                th.attempts[str(i)] = used + 1
                th.retry_count += 1
                th.retry_delays.append(delay)
                th.phase, th.due = Phase.RETRY, iso(due)
                rt.recorder.emit(now, RETRY_SCHEDULED, th.state, f"{th.state} failed with {error}; retry {used + 1} in {delay:g} s",
                                 Severity.WARNING, execution=ex.name, error=error, delay=delay, attempt=used + 1)
                rt.transitioned(ex)
                return
            break
    for catcher in state.get("Catch") or []:
        if _matches(catcher["ErrorEquals"], error, also):
            output, variables = dataflow.caught(catcher, rt.view(ex, th, state), {"Error": error, "Cause": cause})
            if variables is not None:
                th.vars = variables
            rt.event(ex, HistoryEventType.of_state(state["Type"], "Exited"), th.state, output=output, caught=error)
            rt.goto(ex, th, {**state, "End": False}, output, catcher["Next"])
            return
    rt.thread_failed(ex, th, error, cause)
