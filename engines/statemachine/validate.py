"""Validate a definition and report *every* problem, each naming the state and the field.

Shape checks come from the pydantic models; graph and expression checks are done here: unknown
`Next`/`Default`/Catch targets, unreachable states, no terminal state, Wait with not exactly one
duration, `States.ALL` not alone or not last, unknown `States.*` error names, bad paths and
intrinsics, JSONPath-only fields in JSONata mode (and the reverse), bad `{% %}` expressions.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engines.inputs import read_user_text
from engines.statemachine import intrinsics, jsonata_mode, paths
from engines.statemachine.asl import DEFAULT_QUERY_LANGUAGE, QueryLanguage, StateType
from engines.statemachine.choice import ALL_COMPARATORS, parse_timestamp
from engines.statemachine.errors import ALL, PREDEFINED, DefinitionError
from engines.statemachine.models import STATE_TYPES, Definition

WAIT_FIELDS = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
JSONPATH_ONLY = ("InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath",
                 "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "ErrorPath",
                 "CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath")
JSONATA_ONLY = ("Arguments", "Output", "Items")
REFERENCE_FIELDS = ("ResultPath", "ItemsPath", "SecondsPath", "TimestampPath", "TimeoutSecondsPath",
                    "HeartbeatSecondsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
                    "ToleratedFailurePercentagePath")


#: "Maximum request size: 1 MB per request" — a definition is sent in one CreateStateMachine request
#: (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
MAX_DEFINITION_BYTES = 1024 * 1024


def parse_json(text: str, source: str = "definition") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError([f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"], source) from None
    except RecursionError:
        raise DefinitionError(["nested too deeply to be a state machine definition"], source) from None


def load_definition(source: str | Path | dict, *, name: str | None = None) -> dict:
    """A validated definition as a plain dict (from a dict, JSON text or a file path)."""
    label = name or "definition"
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        p = Path(source)
        label = name or str(p)
        # a regular UTF-8 file only: a FIFO, a device or a binary file is one clear error, never a hang
        data = parse_json(read_user_text(p, "state machine definition", max_bytes=MAX_DEFINITION_BYTES), label)
    elif isinstance(source, str):
        data = parse_json(source, label)
    else:
        data = source
    problems = validate(data)
    if problems:
        raise DefinitionError(problems, label)
    return data


def validate(data: Any) -> list[str]:
    """Every problem in a definition; an empty list means it is valid."""
    if not isinstance(data, dict):
        return ["the definition must be a JSON object with StartAt and States"]
    problems: list[str] = []
    try:
        Definition.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_messages(exc))
    top_ql = data.get("QueryLanguage", DEFAULT_QUERY_LANGUAGE)
    _scope(data, "", top_ql, problems)
    _duplicate_names(data, problems)
    if "TimeoutSeconds" in data:
        _whole_seconds(data["TimeoutSeconds"], "top level: field 'TimeoutSeconds'", 1, problems, jsonata=False)
    return list(dict.fromkeys(problems))  # each problem once, in the order found


#: The largest number of seconds a Wait, a timeout or a heartbeat may name ("from 0 to 99999999":
#: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html; task-state.html likewise).
MAX_SECONDS = 99_999_999


def _whole_seconds(value: Any, where: str, low: int, problems: list[str], *, jsonata: bool) -> None:
    """A literal count of seconds: an integer in [low, 99999999] (or, in JSONata mode, a `{% %}` expression)."""
    if jsonata and jsonata_mode.is_expression(value):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        kind = "a JSONata expression or " if jsonata else ""
        problems.append(f"{where}: must be {kind}a whole number of seconds from {low} to {MAX_SECONDS}, "
                        f"not {json.dumps(value)[:40]}")
    elif not low <= value <= MAX_SECONDS:
        problems.append(f"{where}: {value} is out of range (expected {low} to {MAX_SECONDS} seconds)")


def _duplicate_names(data: dict, problems: list[str]) -> None:
    """State names are unique across the whole definition, branches and Map processors included
    (AWS's validator: DUPLICATE_STATE_NAME)."""
    seen: dict[str, str] = {}

    def walk(scope: Any, where: str) -> None:
        states = scope.get("States") if isinstance(scope, dict) else None
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            here = f"{where}.States.{name}" if where else name
            if name in seen:
                problems.append(f"state {name!r}: DUPLICATE_STATE_NAME: the name is used again at {here} "
                                f"(first at {seen[name]}); state names are unique in the whole state machine")
            else:
                seen[name] = here
            if not isinstance(state, dict):
                continue
            for i, branch in enumerate(state.get("Branches") or [] if isinstance(state.get("Branches"), list) else []):
                walk(branch, f"{here}.Branches[{i}]")
            proc = state.get("ItemProcessor") or state.get("Iterator")
            walk(proc, f"{here}.ItemProcessor")

    walk(data, "")


def _where(loc: tuple) -> str:
    """Turn a pydantic location into `State 'X' field 'Y'` words."""
    parts, i, out = list(loc), 0, []
    while i < len(parts):
        p = parts[i]
        if p == "States" and i + 1 < len(parts):
            out.append(f"state {parts[i + 1]!r}")
            i += 2
            if i < len(parts) and parts[i] in STATE_TYPES:
                i += 1  # the discriminator tag pydantic inserts
            continue
        if isinstance(p, int):
            out[-1:] = [f"{out[-1]}[{p}]" if out else f"[{p}]"]
        elif p in ("Branches", "ItemProcessor", "Iterator", "Choices", "Retry", "Catch", "And", "Or", "Not"):
            out.append(p)
        else:
            out.append(f"field {p!r}")
        i += 1
    return " ".join(out) or "top level"


#: The tags pydantic puts in a location for each member of a union (`int | str`): not a field of the definition.
_UNION_TAGS = frozenset({"int", "str", "float", "bool", "list", "dict", "none"})


def _pydantic_messages(exc: ValidationError) -> list[str]:
    out = []
    said: set[tuple] = set()
    for err in exc.errors():
        loc, msg, typ = err["loc"], err["msg"], err["type"]
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.split("[")[0] in _UNION_TAGS))
        if loc in said:
            continue  # one message per place: a value that fits no member of `int | str` is one problem
        said.add(loc)
        if typ == "union_tag_invalid":
            msg = f"Type must be one of {', '.join(STATE_TYPES)}, not {err.get('input', {}).get('Type')!r}" \
                if isinstance(err.get("input"), dict) else msg
        elif typ == "union_tag_not_found":
            msg = "field 'Type' is missing"
        elif typ == "extra_forbidden":
            msg = "unknown field for this state type"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        out.append(f"{_where(tuple(loc))}: {msg}")
    return out


def _scope(scope: dict, prefix: str, ql: str, problems: list[str]) -> None:
    states = scope.get("States")
    start = scope.get("StartAt")
    if not isinstance(states, dict):
        return
    where = prefix or "top level"
    if isinstance(start, str) and start not in states:
        problems.append(f"{where}: StartAt {start!r} is not a state")
    edges: dict[str, list[str]] = {}
    terminal = False
    typo = False  # a Next naming no state: the states it meant to reach are not reported as unreachable too
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        label = f"state {prefix + name!r}"
        sql: str = state.get("QueryLanguage", ql)
        if ql == QueryLanguage.JSONATA and state.get("QueryLanguage") == QueryLanguage.JSONPATH:
            problems.append(f"{label}: field 'QueryLanguage': cannot go back to JSONPath under a JSONata definition")
        targets = _targets(state)
        for field, target in targets:
            if target not in states:
                typo = True
                near = difflib.get_close_matches(target, list(states), n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                problems.append(f"{label}: field '{field}' names {target!r}, which is not a state in this scope{hint}")
        edges[name] = [t for _, t in targets]
        typ = state.get("Type")
        if state.get("End") is True or typ in (StateType.SUCCEED, StateType.FAIL):
            terminal = True
        _state_checks(state, label, sql, problems)
        if typ == StateType.PARALLEL:
            for i, branch in enumerate(state.get("Branches") or []):
                if isinstance(branch, dict):
                    _scope(branch, f"{prefix}{name}.Branches[{i}].", branch.get("QueryLanguage", sql), problems)
        if typ == StateType.MAP:
            proc = state.get("ItemProcessor") or state.get("Iterator")
            if isinstance(proc, dict):
                _scope(proc, f"{prefix}{name}.ItemProcessor.", proc.get("QueryLanguage", sql), problems)
    if isinstance(start, str) and start in states and not typo:
        seen, todo = {start}, [start]
        while todo:
            for t in edges.get(todo.pop(), []):
                if t in states and t not in seen:
                    seen.add(t)
                    todo.append(t)
        for name in states:
            if name not in seen:
                problems.append(f"state {prefix + name!r}: is not reachable from StartAt {start!r}")
    if not terminal:
        problems.append(f"{where}: no terminal state (End: true, Succeed or Fail), so the machine can never finish")


def _targets(state: dict) -> list[tuple[str, str]]:
    out = []
    if isinstance(state.get("Next"), str):
        out.append(("Next", state["Next"]))
    if isinstance(state.get("Default"), str):
        out.append(("Default", state["Default"]))
    for i, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            out.append((f"Choices[{i}].Next", rule["Next"]))
    for i, c in enumerate(state.get("Catch") or []):
        if isinstance(c, dict) and isinstance(c.get("Next"), str):
            out.append((f"Catch[{i}].Next", c["Next"]))
    return out


def _state_checks(state: dict, label: str, ql: str, problems: list[str]) -> None:
    typ = state.get("Type")
    if typ == StateType.WAIT:
        present = [f for f in WAIT_FIELDS if f in state]
        if len(present) != 1:
            got = ", ".join(present) if present else "none"
            problems.append(f"{label}: a Wait needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath (has {got})")
        ts = state.get("Timestamp")
        if isinstance(ts, str) and not jsonata_mode.is_expression(ts) and parse_timestamp(ts) is None:
            problems.append(f"{label}: field 'Timestamp': {ts!r} is not an RFC 3339 timestamp like 2026-01-31T00:00:00Z")
        if "Seconds" in state:
            _whole_seconds(state["Seconds"], f"{label}: field 'Seconds'", 0, problems, jsonata=ql == QueryLanguage.JSONATA)
    if typ == StateType.FAIL:
        for a, b in (("Error", "ErrorPath"), ("Cause", "CausePath")):
            if a in state and b in state:
                problems.append(f"{label}: has both {a} and {b}; use one")
    if typ == StateType.TASK:
        t, h = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
        if isinstance(t, int) and isinstance(h, int) and h >= t:
            problems.append(f"{label}: HeartbeatSeconds ({h}) must be smaller than TimeoutSeconds ({t})")
        for f in ("TimeoutSeconds", "HeartbeatSeconds"):
            if f in state:
                _whole_seconds(state[f], f"{label}: field '{f}'", 1, problems, jsonata=ql == QueryLanguage.JSONATA)
    for kind in ("Retry", "Catch"):
        items = state.get(kind) or []
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            eq = item.get("ErrorEquals") or []
            if ALL in eq and len(eq) != 1:
                problems.append(f"{label}: {kind}[{i}] ErrorEquals: States.ALL must be alone in its list")
            if ALL in eq and i != len(items) - 1:
                problems.append(f"{label}: {kind}[{i}] ErrorEquals: States.ALL must be in the last {'retrier' if kind == 'Retry' else 'catcher'}")
            for e in eq:
                if isinstance(e, str) and e.startswith("States.") and e not in PREDEFINED:
                    problems.append(f"{label}: {kind}[{i}] ErrorEquals: {e!r} is not a predefined error name")
            if kind == "Catch":
                if ql == QueryLanguage.JSONATA and "ResultPath" in item:
                    problems.append(f"{label}: Catch[{i}] field 'ResultPath' is JSONPath-only; use Output in JSONata mode")
                rp = item.get("ResultPath")
                if isinstance(rp, str) and not paths.is_reference_path(rp):
                    problems.append(f"{label}: Catch[{i}] field 'ResultPath': {rp!r} is not a reference path (only . and [] allowed)")
    if ql == QueryLanguage.JSONATA:
        for f in JSONPATH_ONLY:
            if f in state:
                problems.append(f"{label}: field '{f}' is JSONPath-only; in JSONata mode use Arguments/Output/Items")
        _expressions(state, label, problems)
        for i, rule in enumerate(state.get("Choices") or []):
            if isinstance(rule, dict) and "Condition" not in rule:
                problems.append(f"{label}: Choices[{i}] needs a Condition in JSONata mode")
        return
    for f in JSONATA_ONLY:
        if f in state:
            problems.append(f"{label}: field '{f}' is JSONata-only; set QueryLanguage to JSONata or use the JSONPath fields")
    for f in ("InputPath", "OutputPath", "ErrorPath", "CausePath"):
        v = state.get(f)
        if not isinstance(v, str):
            continue
        if f in ("ErrorPath", "CausePath") and intrinsics.is_intrinsic(v):
            try:
                intrinsics.parse(v)
            except intrinsics.IntrinsicSyntaxError as exc:
                problems.append(f"{label}: field '{f}': {exc}")
        elif f in ("ErrorPath", "CausePath") and _is_variable_path(v):
            continue
        elif err := paths.check_path(v):
            problems.append(f"{label}: field '{f}': {err}")
    for f in REFERENCE_FIELDS:
        v = state.get(f)
        if isinstance(v, str) and not (paths.is_reference_path(v) or _is_variable_path(v)
                                       or (v.startswith("$$") and paths.is_reference_path(v[1:]))):
            problems.append(f"{label}: field '{f}': {v!r} is not a reference path (only . and [] allowed, no filters or functions)")
    for f in ("Parameters", "ResultSelector", "ItemSelector", "Assign"):
        if f in state:
            _template(state[f], f"{label}: field '{f}'", problems)
    for i, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, dict):
            _rule(rule, f"{label}: Choices[{i}]", problems, top=True)


def _is_variable_path(v: str) -> bool:
    return v.startswith("$") and len(v) > 1 and v[1] not in ".[$"


def _template(template: Any, where: str, problems: list[str]) -> None:
    if isinstance(template, dict):
        for k, v in template.items():
            if k.endswith(".$"):
                if not isinstance(v, str):
                    problems.append(f"{where} key {k!r}: a '.$' key needs a path or intrinsic string")
                elif intrinsics.is_intrinsic(v):
                    try:
                        intrinsics.parse(v)
                    except intrinsics.IntrinsicSyntaxError as exc:
                        problems.append(f"{where} key {k!r}: {exc}")
                elif not _is_variable_path(v) and (err := paths.check_path(v)):
                    problems.append(f"{where} key {k!r}: {err}")
            else:
                _template(v, where, problems)
    elif isinstance(template, list):
        for v in template:
            _template(v, where, problems)


def _rule(rule: dict, where: str, problems: list[str], top: bool) -> None:
    if top and "Next" not in rule:
        problems.append(f"{where}: a top-level Choice rule needs Next")
    if not top and "Next" in rule:
        problems.append(f"{where}: a nested rule must not have Next")
    logic = [k for k in ("And", "Or", "Not") if k in rule]
    comps = [k for k in ALL_COMPARATORS if k in rule]
    if len(logic) + len(comps) != 1:
        found = ", ".join(logic + comps) or "none"
        problems.append(f"{where}: needs exactly one comparator or And/Or/Not (found {found})")
    for k in logic:
        subs = rule[k] if k != "Not" else [rule[k]]
        for j, sub in enumerate(subs if isinstance(subs, list) else []):
            if isinstance(sub, dict):
                _rule(sub, f"{where}.{k}[{j}]" if k != "Not" else f"{where}.Not", problems, top=False)
    if comps:
        var = rule.get("Variable")
        if not isinstance(var, str):
            problems.append(f"{where}: a comparator rule needs Variable")
        elif not (paths.check_path(var) is None or _is_variable_path(var)):
            problems.append(f"{where}: field 'Variable': {paths.check_path(var)}")
        c = comps[0]
        if c.endswith("Path") and isinstance(rule[c], str) and paths.check_path(rule[c]) and not _is_variable_path(rule[c]):
            problems.append(f"{where}: field '{c}': {paths.check_path(rule[c])}")


def _expressions(value: Any, where: str, problems: list[str]) -> None:
    if jsonata_mode.is_expression(value):
        if err := jsonata_mode.check_expression(value):
            problems.append(f"{where}: {err}")
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in ("Branches", "ItemProcessor", "Iterator"):
                continue
            _expressions(v, where if k in ("Choices",) else f"{where} field {k!r}" if "field" not in where else where, problems)
    elif isinstance(value, list):
        for v in value:
            _expressions(v, where, problems)
