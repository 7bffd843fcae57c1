"""JSONata mode (`QueryLanguage: "JSONata"`): `{% … %}` strings evaluated by jsonata-python.

Expressions see `$states` ({input, result, errorOutput, context}) and the workflow variables as
`$name`. Step Functions' own extra functions ($partition, $range, $hash, $random, $uuid, $parse)
are registered on each expression. Any evaluation error is `States.QueryEvaluationError`, and
so is an expression that evaluates to nothing (undefined): AWS fails the state with "The JSONata
expression '…' specified for the field '…' returned nothing (undefined)" (recorded against AWS in
LocalStack's tests/aws/services/stepfunctions/v2/assign/test_assign_reference_variables.snapshot.json,
test_undefined_reference) rather than handing on a silent null.

Every evaluation is bounded, so a runaway expression (infinite recursion, a tail-call loop, a
catastrophic regular expression) ends in a QueryEvaluationError instead of a hang:
`MAX_STEPS` evaluation steps (counted by jsonata's own entry callback), Python's recursion limit
(RecursionError), and — on the main thread, where a timer signal can interrupt even a regular
expression inside `re` — `MAX_SECONDS` of wall time.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import threading
import uuid
from functools import lru_cache
from typing import Any, TypeGuard

from engines.statemachine.errors import QUERY_EVALUATION, StatesError

#: Evaluation steps one `{% %}` expression may take (jsonata-python does ~150,000 a second).
MAX_STEPS = 200_000
#: Wall-clock seconds one expression may run on the main thread (covers a regular expression stuck in `re`).
MAX_SECONDS = 2.0

_HASH = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def is_expression(value: Any) -> TypeGuard[str]:
    """Is this field value a `{% … %}` JSONata expression (rather than a literal)?"""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def _partition(arr, size):
    n = int(size)
    return [arr[i:i + n] for i in range(0, len(arr or []), n)]


def _range(start, end, step):
    s = int(step)
    out = list(range(int(start), int(end) + (1 if s > 0 else -1), s))
    # a one-item sequence is that item in JSONata: AWS's $range(1, 9, 9) is 1, not [1]
    return out[0] if len(out) == 1 else out


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
    expr.set_output_convert_nulls(False)  # so null (Utils.NULL_VALUE) and undefined (None) stay apart
    return expr


def check_expression(text: str) -> str | None:
    """None if `{% … %}` parses, else why not."""
    try:
        compile_expression(text[2:-2].strip())
    except StatesError as exc:
        return exc.cause
    return None


class _Budget:
    """Counts one expression's evaluation steps; past MAX_STEPS the evaluation stops."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0

    def __call__(self, exp: Any, input: Any, env: Any) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Runaway(f"stopped after {MAX_STEPS:,} evaluation steps (an endless loop or recursion?)")


class _Runaway(BaseException):  # not an Exception: jsonata's own `except Exception` must not swallow it
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Runaway(f"stopped after {MAX_SECONDS:g} s of evaluation (a catastrophic regular expression or an endless loop?)")


def _timed(run: Any) -> Any:
    """`run()` under a MAX_SECONDS timer signal when on the main thread (signals can only go there)."""
    if threading.current_thread() is not threading.main_thread():
        return run()
    try:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
    except (ValueError, OSError):  # no SIGALRM here (or not allowed): the step budget still holds
        return run()
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, MAX_SECONDS)
    try:
        return run()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay:  # someone else's timer was running: give it back what is left of it
            signal.setitimer(signal.ITIMER_REAL, old_delay, old_interval)


def evaluate(text: str, states: dict, variables: dict | None, field: str = "") -> Any:
    """Evaluate one `{% … %}` string for `field` (named in the error); undefined is an error, as in AWS."""
    from jsonata.utils import Utils

    body = text[2:-2].strip()
    expr = compile_expression(body)
    frame = expr.create_frame()
    frame.bind("states", states)
    for name, value in (variables or {}).items():
        frame.bind(name, value)
    frame.set_evaluate_entry_callback(_Budget())
    where = f" specified for the field '{field}'" if field else ""
    try:
        result = _timed(lambda: expr.evaluate(None, frame))
    except _Runaway as exc:
        raise StatesError(QUERY_EVALUATION, f"The JSONata expression '{body}'{where} {exc}") from None
    except RecursionError:
        raise StatesError(QUERY_EVALUATION, f"The JSONata expression '{body}'{where} recursed too deeply") from None
    except Exception as exc:
        raise StatesError(QUERY_EVALUATION, f"{text}: {exc}") from None
    if result is None:
        raise StatesError(QUERY_EVALUATION, f"The JSONata expression '{body}'{where} returned nothing (undefined).")
    return Utils.convert_nulls(result)


def fill(template: Any, states: dict, variables: dict | None, field: str = "") -> Any:
    """Evaluate every `{% %}` string inside a template (Arguments, Output, Assign values).

    `field` names where the template sits (`Output`, `Arguments/order`), as AWS's errors do.
    """
    if is_expression(template):
        return evaluate(template, states, variables, field)
    if isinstance(template, dict):
        return {k: fill(v, states, variables, f"{field}/{k}" if field else k) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, states, variables, f"{field}[{i}]") for i, v in enumerate(template)]
    return template
