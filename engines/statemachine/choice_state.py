"""The Choice state: the first rule that matches names the next state, else Default, else an error.

The rules themselves (comparators, And/Or/Not) are evaluated by `choice.py` in JSONPath mode;
in JSONata mode each rule is a `Condition` expression that must be exactly `true`. A matching
rule's own Output/Assign replace the state's (see `dataflow.leave`). No match and no Default is
`States.NoChoiceMatched`.
"""

from __future__ import annotations

from engines.statemachine import choice, dataflow, jsonata_mode
from engines.statemachine.errors import NO_CHOICE, StatesError
from engines.statemachine.execution import Execution
from engines.statemachine.runtime import Runtime
from engines.statemachine.threads import Thread


def enter_choice(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    view = rt.view(ex, th, state)
    data = th.input if view.jsonata else dataflow.select_or_empty(th.input, state, "InputPath", view.context,
                                                                 view.variables)
    for rule in state["Choices"]:
        if view.jsonata:
            hit = jsonata_mode.evaluate(rule["Condition"], view.states(), view.variables) is True
        else:
            hit = choice.evaluate(rule, lambda p: view.read(p, "Variable", data))
        if hit:
            rt.exit(ex, th, state, None, next_state=rule["Next"], rule=rule)
            return
    if "Default" in state:
        rt.exit(ex, th, state, None, next_state=state["Default"])
        return
    raise StatesError(NO_CHOICE, f"No Choice Rules matched and no Default in state {th.state!r}")
