"""A state's data flow, in the spec's order, for both query languages.

JSONPath: raw input → InputPath → Parameters (template: `.$` keys take a path, a `$$.` context
path, a workflow variable `$name` or an intrinsic) → the work → ResultSelector → ResultPath (into
the raw input; null keeps the input) → OutputPath. A null InputPath/OutputPath gives `{}`.
JSONata: raw input → Arguments → the work → Output, every `{% %}` seeing `$states` and the
variables. Both then apply Assign. `state_input`, `leave` and `caught` are that pipeline as the
interpreter runs it; the functions below them are its JSONPath steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from engines.statemachine import intrinsics, jsonata_mode, paths
from engines.statemachine.asl import WITH_RESULT, QueryLanguage, StateType
from engines.statemachine.errors import RUNTIME, StatesError

_JSONATA = QueryLanguage.JSONATA
_RAW_INPUT: Any = object()  # `StateView.read`'s default document: the state's raw input


@dataclass(slots=True)
class StateView:
    """What one state's fields can see: its raw input, the Context object, the workflow variables.

    Made afresh for each evaluation and never changed (not `frozen`: a frozen dataclass is
    several times slower to build, and one is built for every state entered and left).
    """

    input: Any
    context: dict[str, Any]
    variables: dict[str, Any]
    language: QueryLanguage

    @property
    def jsonata(self) -> bool:
        return self.language == _JSONATA

    def states(self, **extra: Any) -> dict[str, Any]:
        """JSONata's `$states`: input and context, plus `result` / `errorOutput` where the spec has them."""
        return {"input": self.input, "context": self.context, **extra}

    def read(self, path: str, field: str, doc: Any = _RAW_INPUT) -> Any:
        """A JSONPath value for `field` from `doc` (default: the raw input), `$$` or a variable."""
        return resolve(path, self.input if doc is _RAW_INPUT else doc, self.context, self.variables, field)

    def fill(self, template: Any, field: str = "", **states: Any) -> Any:
        """Every `{% %}` in a JSONata template for `field`, evaluated against `$states` (+ `states`) and the variables."""
        return jsonata_mode.fill(template, self.states(**states), self.variables, field)


def state_input(state: dict, view: StateView) -> Any:
    """The input a Task's or Parallel's work gets: InputPath → Parameters, or JSONata Arguments."""
    if view.jsonata:
        args = state.get("Arguments")
        return view.input if args is None else view.fill(args, "Arguments")
    return effective_input(view.input, state, view.context, view.variables)


def leave(state: dict, view: StateView, result: Any, assign: Callable[[dict[str, Any]], None],
          rule: dict | None = None) -> Any:
    """A state's output on the way out, and its Assign handed to `assign(new variables)`.

    Task, Parallel and Map have a `result` (ResultSelector → ResultPath → OutputPath, or JSONata's
    `$states.result`/Output); Pass's result is its Result or effective input; Choice, Wait and
    Succeed pass their input through (InputPath → OutputPath). A Choice rule's own Output/Assign
    replace the state's; the state's own Output/Assign apply when its Default is taken (LocalStack's
    state_choice.py, after AWS: test_assign_reference_variables.snapshot.json,
    test_assign_in_choice_state[INCORRECT]). Assign always sees the variables as they were on entry; JSONPath
    evaluates it before ResultPath/OutputPath and JSONata after Output, so `assign` is called
    at that point (a ResultPath failure after it leaves the assignment made, as it always did).
    """
    typ = state["Type"]
    is_choice = typ == StateType.CHOICE
    own = rule if is_choice and rule is not None else state  # a matched Choice rule's fields, else the state's
    assignments = own.get("Assign")
    variables = view.variables
    if view.jsonata:
        has_result = typ in WITH_RESULT
        states = {"result": result} if has_result else {}
        template = own.get("Output")
        default = result if has_result or (typ == StateType.PASS and "Output" in state) else view.input
        output = view.fill(template, "Output", **states) if template is not None else default
        if assignments:
            assign({**variables, **{k: view.fill(v, f"Assign/{k}", **states) for k, v in assignments.items()}})
        return output
    if typ in WITH_RESULT or typ == StateType.PASS:
        if typ != StateType.PASS and "ResultSelector" in state:
            result = apply_template(state["ResultSelector"], result, view.context, variables)
        if assignments:
            assign({**variables, **apply_template(assignments, result, view.context, variables)})
        return state_output(view.input, result, state, view.context, variables, selector=False)
    base = select_or_empty(view.input, state, "InputPath", view.context, variables)
    if assignments:
        assign({**variables, **apply_template(assignments, base, view.context, variables)})
    return select_or_empty(base, state, "OutputPath", view.context, variables)


def caught(catcher: dict, view: StateView, error_output: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """A matching Catch's output (JSONata Output or JSONPath ResultPath) and the variables after its Assign (None: none)."""
    variables = None
    if view.jsonata:
        output = view.fill(catcher["Output"], "Output", errorOutput=error_output) if "Output" in catcher else error_output
        if catcher.get("Assign"):
            variables = {**view.variables, **view.fill(catcher["Assign"], "Assign", errorOutput=error_output)}
    else:
        output = catch_output(view.input, error_output, catcher)
        if catcher.get("Assign"):
            variables = {**view.variables, **apply_template(catcher["Assign"], error_output, view.context, view.variables)}
    return output, variables


def resolve(path: str, doc: Any, context: Any, variables: dict | None, what: str = "path") -> Any:
    """Read a path from the input, the context object (`$$`) or a variable (`$name.a`)."""
    if path.startswith("$") and len(path) > 1 and path[1] not in ".[$":
        name, _, rest = path[1:].partition(".")
        name, bracket, tail = name.partition("[")
        if variables is None or name not in variables:
            raise StatesError(RUNTIME, f"The variable '${name}' specified for the field '{what}' is not defined")
        rest_path = "$" + (bracket + tail if bracket else "") + ("." + rest if rest else "")
        return paths.select(variables[name], rest_path, context, what=what)
    return paths.select(doc, path, context, what=what)


def apply_template(template: Any, doc: Any, context: Any, variables: dict | None = None) -> Any:
    """Fill a payload template (Parameters, ResultSelector, ItemSelector, Assign)."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                name = key[:-2]
                if intrinsics.is_intrinsic(value):
                    out[name] = intrinsics.evaluate(value, lambda p: resolve(p, doc, context, variables, key))
                else:
                    out[name] = resolve(value, doc, context, variables, key)
            else:
                out[key] = apply_template(value, doc, context, variables)
        return out
    if isinstance(template, list):
        return [apply_template(v, doc, context, variables) for v in template]
    return template


def select_or_empty(doc: Any, state: dict, field: str, context: Any, variables: dict | None = None) -> Any:
    """InputPath/OutputPath: absent → the whole doc, null → {}."""
    path = state.get(field, "$")
    if path is None:
        return {}
    if path == "$":
        return doc
    return resolve(path, doc, context, variables, field)


def effective_input(raw: Any, state: dict, context: Any, variables: dict | None = None) -> Any:
    """InputPath then Parameters (or ItemSelector for Map items, done elsewhere)."""
    value = select_or_empty(raw, state, "InputPath", context, variables)
    if "Parameters" in state and state.get("Type") != StateType.MAP:
        value = apply_template(state["Parameters"], value, context, variables)
    return value


def state_output(raw: Any, result: Any, state: dict, context: Any, variables: dict | None = None,
                 *, selector: bool = True) -> Any:
    """ResultSelector → ResultPath → OutputPath."""
    if selector and "ResultSelector" in state:
        result = apply_template(state["ResultSelector"], result, context, variables)
    rp = state.get("ResultPath", "$")
    combined = raw if rp is None else paths.put(raw, rp, result)
    return select_or_empty(combined, state, "OutputPath", context, variables)


def catch_output(raw: Any, error: dict, catcher: dict) -> Any:
    """A Catch's ResultPath places the error object into the state's raw input."""
    rp = catcher.get("ResultPath", "$")
    return raw if rp is None else paths.put(raw, rp, error)
