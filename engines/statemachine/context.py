"""The Context object: what `$$.…` paths and JSONata's `$states.context` read about the run.

Execution (Id, Input, Name, StartTime, RoleArn, RedriveCount), State (EnteredTime, Name, and
RetryCount only in the states that retry: Task, Parallel, Map — a Pass state's `$$` recorded
against AWS has State {Name, EnteredTime} only: LocalStack
tests/aws/services/stepfunctions/v2/context_object/test_context_object.snapshot.json,
test_input_path[$$]), StateMachine (Id, Name), and — only while they exist — Task.Token for a
callback task and Map.Item for a Map iteration. Built afresh whenever a state evaluates something,
because EnteredTime, RetryCount and the token change as the thread moves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engines.statemachine.execution import ROLE_ARN, Execution, machine_arn
from engines.statemachine.threads import Thread
from engines.statemachine.timestamps import iso


def context_object(ex: Execution, th: Thread, now: datetime, *, item: dict[str, Any] | None = None,
                   retries: bool = True) -> dict[str, Any]:
    """The Context object for `th` now; `item` stands in for the thread's own Map item (ItemSelector).

    `retries`: the state is one that can retry (Task, Parallel, Map), so State.RetryCount is there.
    """
    state: dict[str, Any] = {"EnteredTime": th.entered or iso(now), "Name": th.state}
    if retries:
        state["RetryCount"] = th.retry_count
    ctx: dict[str, Any] = {
        "Execution": {"Id": ex.arn, "Input": ex.input, "Name": ex.name, "StartTime": iso(ex.start),
                      "RoleArn": ROLE_ARN, "RedriveCount": 0},
        "State": state,
        "StateMachine": {"Id": machine_arn(ex.machine), "Name": ex.machine}}
    if th.token:
        ctx["Task"] = {"Token": th.token}
    item = item if item is not None else th.item
    if item is not None:
        ctx["Map"] = {"Item": item}
    return ctx
