"""Choice rules (JSONPath mode): every comparator, its `…Path` variant, And/Or/Not.

Type mismatches are simply false, as in AWS: `NumericEquals` on a string does not match.
"""

from __future__ import annotations

import operator
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from engines.statemachine.errors import RUNTIME, StatesError

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq, "GreaterThan": operator.gt, "GreaterThanEquals": operator.ge,
    "LessThan": operator.lt, "LessThanEquals": operator.le,
}
KINDS = ("String", "Numeric", "Timestamp")
COMPARATORS: tuple[str, ...] = tuple(
    [f"{k}{o}" for k in KINDS for o in _OPS] + ["BooleanEquals", "StringMatches"]
    + ["IsBoolean", "IsNull", "IsNumeric", "IsPresent", "IsString", "IsTimestamp"])
ALL_COMPARATORS: tuple[str, ...] = COMPARATORS + tuple(
    c + "Path" for c in COMPARATORS if not c.startswith("Is") and c != "StringMatches")


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (uppercase T, Z or an offset) or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_STAR = None  # a `*` in a StringMatches pattern (every other token is one literal character)


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> tuple[str | None, ...]:
    """The pattern's tokens: literal characters (`\\*` and `\\\\` escaped) and stars."""
    out: list[str | None] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
            continue
        out.append(_STAR if c == "*" else c)
        i += 1
    return tuple(out)


def wildcard_match(pattern: str, text: str) -> bool:
    """StringMatches: `*` matches any run of characters. Two pointers, no regular expression, so a
    pattern like `*a*a*a*a*b` over a long string takes O(len(text) × len(pattern)) steps, never the
    exponential backtracking a translated regex can take."""
    tokens = _wildcard(pattern)
    t = p = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(tokens) and tokens[p] is not _STAR and tokens[p] == text[t]:
            t += 1
            p += 1
        elif p < len(tokens) and tokens[p] is _STAR:
            star, mark = p, t
            p += 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            t = mark
        else:
            return False
    while p < len(tokens) and tokens[p] is _STAR:
        p += 1
    return p == len(tokens)


def comparator_of(rule: dict) -> str | None:
    for name in ALL_COMPARATORS:
        if name in rule:
            return name
    return None


def evaluate(rule: dict, read: Callable[[str], Any]) -> bool:
    """Does `rule` match? `read(path)` reads the state input, context or variables (raises if absent)."""
    if "And" in rule:
        return all(evaluate(r, read) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate(r, read) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], read)
    name = comparator_of(rule)
    if name is None:
        raise StatesError(RUNTIME, "a Choice rule has no comparator")
    variable = rule.get("Variable", "$")
    if name == "IsPresent":
        try:
            read(variable)
            present = True
        except StatesError:
            present = False
        return present == rule[name]
    value = read(variable)
    if name.startswith("Is"):
        want = rule[name]
        got = {
            "IsBoolean": isinstance(value, bool), "IsNull": value is None, "IsNumeric": _is_number(value),
            "IsString": isinstance(value, str), "IsTimestamp": parse_timestamp(value) is not None,
        }[name]
        return got == want
    if name.endswith("Path"):
        name, other = name[:-4], read(rule[name])
    else:
        other = rule[name]
    if name == "BooleanEquals":
        return isinstance(value, bool) and isinstance(other, bool) and value == other
    if name == "StringMatches":
        return isinstance(value, str) and isinstance(other, str) and wildcard_match(other, value)
    for kind in KINDS:
        if name.startswith(kind):
            op = _OPS[name[len(kind):]]
            if kind == "String":
                return isinstance(value, str) and isinstance(other, str) and op(value, other)
            if kind == "Numeric":
                return _is_number(value) and _is_number(other) and op(value, other)
            a, b = parse_timestamp(value), parse_timestamp(other)
            return a is not None and b is not None and op(a, b)
    raise StatesError(RUNTIME, f"unknown comparator {name}")
