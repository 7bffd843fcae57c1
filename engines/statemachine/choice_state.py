"""The Choice state: the first rule that matches names the next state, else Default, else an error.

The rules themselves (comparators, And/Or/Not) are evaluated by `choice.py` in JSONPath mode;
in JSONata mode each rule is a `Condition` expression that must be exactly `true`. A matching
rule's own Output/Assign replace the state's (see `dataflow.leave`). No match and no Default is
`States.Runtime`: the developer guide lists States.NoChoiceMatched as "Reserved for future use. If no
choice is matched, the error is reported with the States.Runtime error name"
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html; moto, LocalStack's
port, agrees) — so, like every States.Runtime, no Catch takes it.
"""

from __future__ import annotations

from engines.statemachine import choice, dataflow, jsonata_mode
from engines.statemachine.errors import RUNTIME, StatesError
from engines.statemachine.execution import Execution
from engines.statemachine.runtime import Runtime
from engines.statemachine.threads import Thread


def enter_choice(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    view = rt.view(ex, th, state)
    data = th.input if view.jsonata else dataflow.select_or_empty(th.input, state, "InputPath", view.context,
                                                                 view.variables)
    for rule in state["Choices"]:
        if view.jsonata:
            hit = jsonata_mode.evaluate(rule["Condition"], view.states(), view.variables, "Condition") is True
        else:
            hit = choice.evaluate(rule, lambda p: view.read(p, "Variable", data))
        if hit:
            rt.exit(ex, th, state, None, next_state=rule["Next"], rule=rule)
            return
    if "Default" in state:
        rt.exit(ex, th, state, None, next_state=state["Default"])
        return
    raise StatesError(RUNTIME, f"No Choice Rules matched and no Default in state {th.state!r}")
