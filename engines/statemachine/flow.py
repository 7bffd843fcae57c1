"""Pass, Succeed and Fail: the states that do no work of their own.

Pass hands on its `Result` (or its effective input) through the data flow; Succeed ends its
thread with its input; Fail ends it with `Error`/`Cause` (or ErrorPath/CausePath, or JSONata
expressions) and, like AWS, writes only FailStateEntered — a Fail state is never exited.
"""

from __future__ import annotations

from engines.statemachine import dataflow
from engines.statemachine.execution import Execution
from engines.statemachine.history import HistoryEventType
from engines.statemachine.runtime import Runtime
from engines.statemachine.threads import Thread


def enter_pass(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    view = rt.view(ex, th, state)
    if view.jsonata:
        rt.exit(ex, th, state, th.input)
        return
    if "Result" in state:
        result = state["Result"]
    else:
        result = dataflow.effective_input(th.input, state, view.context, view.variables)
    rt.exit(ex, th, state, result)


def enter_succeed(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    rt.exit(ex, th, state, None)


def enter_fail(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    rt.event(ex, HistoryEventType.FAIL_STATE_ENTERED, th.state, input=th.input)
    view = rt.view(ex, th, state)
    error, cause = state.get("Error"), state.get("Cause")
    if view.jsonata:
        error, cause = view.fill(error), view.fill(cause)
    else:
        if "ErrorPath" in state:
            error = view.read(state["ErrorPath"], "ErrorPath")
        if "CausePath" in state:
            cause = view.read(state["CausePath"], "CausePath")
    rt.thread_failed(ex, th, error or "", cause or "")
