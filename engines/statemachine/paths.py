"""JSONPath for ASL: paths that select (InputPath, OutputPath, `.$` keys) and reference paths.

Selection uses jsonpath-ng (the spec's Paths are Goessner JSONPath: filters, wildcards, slices)
behind a cache of parsed expressions, with a fast walker for the common plain form `$.a.b[0]`.
Following AWS, a *definite* path (only names and indices) yields the one value it reaches
(`$.items[0].name` gives "a", not ["a"] as moto does); an indefinite one yields a list.
Reference paths (ResultPath, ItemsPath, Variable, *Path comparators) allow only `.name`,
`['name']` and `[n]`; they are parsed here, so ResultPath can create the objects it writes into.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from engines.statemachine.errors import RESULT_PATH, RUNTIME, StatesError

_MISSING = object()
_TOKEN = re.compile(r"""\.([A-Za-z_$][^.\[\]'"()*?\s]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]""")


class PathSyntaxError(ValueError):
    pass


@lru_cache(maxsize=4096)
def reference_steps(path: str) -> tuple[str | int, ...] | None:
    """The steps of a reference path (`$.a['b'][0]` → ('a', 'b', 0)), or None if it is not one."""
    if path == "$":
        return ()
    if not path.startswith("$"):
        return None
    pos = 1
    steps: list[str | int] = []
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            return None
        name, index, q1, q2 = m.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else (q1 if q1 is not None else q2).replace("\\", ""))
        pos = m.end()
    return tuple(steps)


def is_reference_path(path: str) -> bool:
    return reference_steps(path) is not None


@lru_cache(maxsize=4096)
def _compiled(path: str):
    from jsonpath_ng.ext import parse
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError

    try:
        return parse(path)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # the library raises several kinds
        raise PathSyntaxError(f"{path!r} is not a valid JSONPath ({exc})") from None


def check_path(path: str) -> str | None:
    """None if `path` is a usable JSONPath (or `$$.` context path), else why not."""
    if not isinstance(path, str) or not path.startswith("$"):
        return f"{path!r} must start with '$'"
    body = path[1:] if path.startswith("$$") else path
    if reference_steps(body) is not None:
        return None
    try:
        _compiled(body)
    except PathSyntaxError as exc:
        return str(exc)
    return None


def _walk(doc: Any, steps: tuple) -> Any:
    for s in steps:
        if isinstance(s, int):
            if isinstance(doc, list) and -len(doc) <= s < len(doc):
                doc = doc[s]
            else:
                return _MISSING
        elif isinstance(doc, dict) and s in doc:
            doc = doc[s]
        else:
            return _MISSING
    return doc


def select(doc: Any, path: str, context: Any = None, *, what: str = "path") -> Any:
    """The value `path` selects in `doc` (`$$.` paths read `context`). Missing → States.Runtime."""
    if path.startswith("$$"):
        doc, body = context, path[1:]
    else:
        body = path
    steps = reference_steps(body)
    if steps is not None:
        value = _walk(doc, steps)
        if value is _MISSING:
            raise StatesError(RUNTIME, f"The JSONPath '{path}' specified for the field '{what}' could not be found in the input")
        return value
    expr = _compiled(body)
    matches = [m.value for m in expr.find(doc)]
    return matches


def put(doc: Any, path: str, value: Any) -> Any:
    """ResultPath: `doc` with `value` placed at the reference path (a copy; `$` replaces)."""
    steps = reference_steps(path)
    if steps is None:
        raise StatesError(RESULT_PATH, f"ResultPath {path!r} is not a reference path")
    if not steps:
        return value
    if not isinstance(doc, (dict, list)):
        raise StatesError(RESULT_PATH, f"Unable to apply ResultPath {path!r}: the state input is not an object")
    # Copy only the containers on the way down: the input stays untouched, the rest is shared.
    root: Any = copy.copy(doc)
    cur: Any = root  # a dict or a list: each step checks which before it writes
    for i, s in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(s, int):
            if not isinstance(cur, list) or not (0 <= s < len(cur)):
                raise StatesError(RESULT_PATH, f"Unable to apply ResultPath {path!r}: index {s} does not exist")
        elif not isinstance(cur, dict):
            raise StatesError(RESULT_PATH, f"Unable to apply ResultPath {path!r}: {s!r} is not inside an object")
        if last:
            cur[s] = value
        else:
            nxt = cur.get(s) if isinstance(cur, dict) else cur[s]
            if nxt is not None and not isinstance(nxt, (dict, list)):
                # "A state's ResultPath field cannot be applied to the input the state received"
                # (concepts-error-handling.html): a value is in the way, and it is not replaced
                raise StatesError(RESULT_PATH, f"Unable to apply ResultPath {path!r}: {s!r} holds a "
                                  f"{type(nxt).__name__}, not an object")
            nxt = copy.copy(nxt) if isinstance(nxt, (dict, list)) else {}
            cur[s] = nxt
            cur = nxt
    return root
