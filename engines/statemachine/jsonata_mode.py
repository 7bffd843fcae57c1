"""JSONata mode (`QueryLanguage: "JSONata"`): `{% … %}` strings evaluated by jsonata-python.

Expressions see `$states` ({input, result, errorOutput, context}) and the workflow variables as
`$name`. Step Functions' own extra functions ($partition, $range, $hash, $random, $uuid, $parse)
are registered on each expression. Any evaluation error is `States.QueryEvaluationError`.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import uuid
from functools import lru_cache
from typing import Any, TypeGuard

from engines.statemachine.errors import QUERY_EVALUATION, StatesError

_HASH = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def is_expression(value: Any) -> TypeGuard[str]:
    """Is this field value a `{% … %}` JSONata expression (rather than a literal)?"""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def _partition(arr, size):
    n = int(size)
    return [arr[i:i + n] for i in range(0, len(arr or []), n)]


def _range(start, end, step):
    s = int(step)
    return list(range(int(start), int(end) + (1 if s > 0 else -1), s))


def _hash(data, algorithm):
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return hashlib.new(_HASH[algorithm], text.encode()).hexdigest()


_EXTRAS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": lambda *seed: (random.Random(seed[0]) if seed else random).random(),
    "uuid": lambda: str(uuid.uuid4()),
    "parse": lambda text: json.loads(text),
}


def compile_expression(body: str) -> Any:
    """Compile a JSONata body once per thread; raises StatesError(QueryEvaluationError) on bad syntax.

    Per thread, because a compiled `jsonata.Jsonata` is not a pure value: every `evaluate` writes
    its own timestamp into it (what `$now()` reads), so two threads must not share one.
    """
    return _compile(body, threading.get_ident())


@lru_cache(maxsize=2048)
def _compile(body: str, thread: int) -> Any:
    import jsonata

    try:
        expr = jsonata.Jsonata(body)
    except Exception as exc:  # jsonata raises its own JException family
        raise StatesError(QUERY_EVALUATION, f"cannot parse JSONata {body!r}: {exc}") from None
    for name, fn in _EXTRAS.items():
        expr.register_lambda(name, fn)
    return expr


def check_expression(text: str) -> str | None:
    """None if `{% … %}` parses, else why not."""
    try:
        compile_expression(text[2:-2].strip())
    except StatesError as exc:
        return exc.cause
    return None


def evaluate(text: str, states: dict, variables: dict | None) -> Any:
    """Evaluate one `{% … %}` string."""
    expr = compile_expression(text[2:-2].strip())
    frame = expr.create_frame()
    frame.bind("states", states)
    for name, value in (variables or {}).items():
        frame.bind(name, value)
    try:
        return expr.evaluate(None, frame)
    except Exception as exc:
        raise StatesError(QUERY_EVALUATION, f"{text}: {exc}") from None


def fill(template: Any, states: dict, variables: dict | None) -> Any:
    """Evaluate every `{% %}` string inside a template (Arguments, Output, Assign values)."""
    if is_expression(template):
        return evaluate(template, states, variables)
    if isinstance(template, dict):
        return {k: fill(v, states, variables) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, states, variables) for v in template]
    return template
