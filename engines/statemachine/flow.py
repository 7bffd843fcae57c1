"""Pass, Succeed and Fail: the states that do no work of their own.

Pass hands on its `Result` (or its effective input) through the data flow; Succeed ends its
thread with its input; Fail ends it with `Error`/`Cause` (or ErrorPath/CausePath, or JSONata
expressions) and, like AWS, writes only FailStateEntered — a Fail state is never exited.
"""

from __future__ import annotations

from typing import Any

from engines.statemachine import dataflow, intrinsics
from engines.statemachine.dataflow import StateView
from engines.statemachine.execution import Execution
from engines.statemachine.history import HistoryEventType
from engines.statemachine.runtime import Runtime
from engines.statemachine.threads import Thread


def _path_or_intrinsic(view: StateView, value: str, field: str) -> Any:
    if intrinsics.is_intrinsic(value):
        return intrinsics.evaluate(value, lambda p: view.read(p, field))
    return view.read(value, field)


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
        error, cause = view.fill(error, "Error"), view.fill(cause, "Cause")
    else:
        # a path, a variable, or an intrinsic function (the developer guide's Fail state example uses
        # States.Format; AWS-recorded in LocalStack's raise_failure_path_intrinsic template)
        if "ErrorPath" in state:
            error = _path_or_intrinsic(view, state["ErrorPath"], "ErrorPath")
        if "CausePath" in state:
            cause = _path_or_intrinsic(view, state["CausePath"], "CausePath")
    rt.thread_failed(ex, th, error or "", cause or "")
