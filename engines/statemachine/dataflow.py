"""JSONPath-mode data flow, in the spec's order.

raw input → InputPath → Parameters (template: `.$` keys take a path, a `$$.` context path, a
workflow variable `$name` or an intrinsic) → the work → ResultSelector → ResultPath (into the raw
input; null keeps the input) → OutputPath. A null InputPath/OutputPath gives `{}`.
"""

from __future__ import annotations

from typing import Any

from engines.statemachine import intrinsics, paths
from engines.statemachine.errors import RUNTIME, StatesError

_ABSENT = object()


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
    if "Parameters" in state and state.get("Type") != "Map":
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
