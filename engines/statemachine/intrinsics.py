"""The 18 intrinsic functions of JSONPath mode (`"x.$": "States.Format('{}', $.a)"`).

A small recursive-descent parser turns the call into a tree (string, number, boolean and null
literals, paths, nested calls); nothing is ever eval'd. Any failure is `States.Runtime`: the
developer guide lists States.IntrinsicFailure as "Reserved for future use. Intrinsic function
processing errors are reported with the States.Runtime error name" (concepts-error-handling.html;
moto and aws-local-stepfunctions agree, see tests/statemachine/conformance).

Bounds and numbers follow the developer guide's intrinsic-functions page
(https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html): at most 10
nested calls in a field; a non-integer argument of ArrayPartition, ArrayRange, MathAdd or
MathRandom is rounded to the nearest integer (half up, as Java's Math.round, which is what the
service runs on: `States.MathAdd(1.49, 1.5)` is 1 + 2 = 3); MathRandom's end is exclusive;
ArrayRange makes at most 1000 items; Base64Encode/Decode and Hash take at most 10,000
characters. `States.StringToJson("")` is null (LocalStack's string_to_json.py, AWS-recorded).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import uuid
from dataclasses import dataclass
import math
from functools import lru_cache
from typing import Any, Callable, NoReturn

from engines.statemachine.errors import RUNTIME, StatesError


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class PathArg:
    path: str


class IntrinsicSyntaxError(ValueError):
    pass


def is_intrinsic(text: str) -> bool:
    return isinstance(text, str) and text.startswith("States.")


@lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    """Parse one intrinsic call; raises IntrinsicSyntaxError saying where it went wrong."""
    p = _Parser(text)
    call = p.call()
    p.ws()
    if p.pos != len(text):
        raise IntrinsicSyntaxError(f"unexpected {text[p.pos:]!r} after the call in {text!r}")
    return call


#: "You can nest up to 10 intrinsic functions within a field" (the developer guide).
MAX_NESTING = 10
#: Base64Encode, Base64Decode and Hash take "a data string of up to 10,000 characters".
MAX_DATA_CHARS = 10_000


class _Parser:
    def __init__(self, text: str) -> None:
        self.t, self.pos, self.depth = text, 0, 0

    def ws(self) -> None:
        while self.pos < len(self.t) and self.t[self.pos] in " \t\n":
            self.pos += 1

    def fail(self, what: str) -> NoReturn:
        raise IntrinsicSyntaxError(f"{what} at position {self.pos} of {self.t!r}")

    def call(self) -> Call:
        m = re.compile(r"States\.[A-Za-z0-9]+").match(self.t, self.pos)
        if not m:
            self.fail("expected an intrinsic function name (States.…)")
        name = m.group(0)
        if name not in FUNCTIONS:
            raise IntrinsicSyntaxError(f"unknown intrinsic function {name} in {self.t!r}")
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise IntrinsicSyntaxError(f"more than {MAX_NESTING} nested intrinsic functions in {self.t!r}")
        self.pos = m.end()
        self.ws()
        if self.pos >= len(self.t) or self.t[self.pos] != "(":
            self.fail("expected '('")
        self.pos += 1
        args: list = []
        self.ws()
        if self.pos < len(self.t) and self.t[self.pos] == ")":
            self.pos += 1
            self.depth -= 1
            return Call(name, ())
        while True:
            self.ws()
            args.append(self.arg())
            self.ws()
            if self.pos >= len(self.t):
                self.fail("expected ',' or ')'")
            c = self.t[self.pos]
            self.pos += 1
            if c == ")":
                self.depth -= 1
                return Call(name, tuple(args))
            if c != ",":
                self.pos -= 1
                self.fail("expected ',' or ')'")

    def arg(self) -> Any:
        t, i = self.t, self.pos
        if i >= len(t):
            self.fail("expected an argument")
        c = t[i]
        if c == "'":
            out, i = [], i + 1
            while i < len(t) and t[i] != "'":
                if t[i] == "\\" and i + 1 < len(t):
                    nxt = t[i + 1]
                    out.append(nxt if nxt in "'\\" else "\\" + nxt)  # \{ \} stay escaped for Format
                    i += 2
                    continue
                out.append(t[i])
                i += 1
            if i >= len(t):
                self.fail("unterminated string")
            self.pos = i + 1
            return "".join(out)
        if c == "$":
            depth, j, quote = 0, i, None
            while j < len(t):
                ch = t[j]
                if quote:
                    if ch == quote:
                        quote = None
                elif ch in "'\"":
                    quote = ch
                elif ch in "[(":
                    depth += 1
                elif ch in "])":
                    if depth == 0:
                        break
                    depth -= 1
                elif ch == "," and depth == 0:
                    break
                j += 1
            self.pos = j
            return PathArg(t[i:j].strip())
        if t.startswith("States.", i):
            return self.call()
        m = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null").match(t, i)
        if not m:
            self.fail("expected a string, number, boolean, null, path or call")
        self.pos = m.end()
        return json.loads(m.group(0))


def evaluate(text: str, resolve: Callable[[str], Any]) -> Any:
    """Evaluate an intrinsic; `resolve(path)` reads `$`/`$$` paths and variables."""
    try:
        call = parse(text)
    except IntrinsicSyntaxError as exc:
        raise StatesError(RUNTIME, str(exc)) from None
    return _eval(call, resolve)


def _eval(node: Any, resolve: Callable[[str], Any]) -> Any:
    if isinstance(node, PathArg):
        return resolve(node.path)
    if isinstance(node, Call):
        args = [_eval(a, resolve) for a in node.args]
        fn, lo, hi = FUNCTIONS[node.name]
        if not (lo <= len(args) <= hi):
            want = str(lo) if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
            raise StatesError(RUNTIME, f"{node.name} takes {want} arguments, got {len(args)}")
        try:
            return fn(*args)
        except StatesError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, json.JSONDecodeError, UnicodeError, RecursionError) as exc:
            raise StatesError(RUNTIME, f"{node.name}: {exc}") from None
    return node


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise StatesError(RUNTIME, msg)


def _format(template: str, *args: Any) -> str:
    _need(isinstance(template, str), "States.Format: the first argument must be a string")
    parts = re.split(r"(?<!\\)\{\}", template)
    _need(len(parts) - 1 == len(args),
          f"States.Format: the template has {len(parts) - 1} placeholders but {len(args)} arguments were given")
    out = [parts[0]]
    for arg, part in zip(args, parts[1:]):
        _need(not isinstance(arg, (dict, list)), "States.Format: arguments must be strings, numbers, booleans or null")
        out.append(arg if isinstance(arg, str) else json.dumps(arg))
        out.append(part)
    return "".join(out).replace("\\{", "{").replace("\\}", "}")


def _int(x: Any, fn: str, what: str) -> int:
    _need(isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer(), f"{fn}: {what} must be an integer")
    return int(x)


def _rounded(x: Any, fn: str, what: str) -> int:
    """A number rounded to the nearest integer, halves up (Java's Math.round): AWS rounds non-integers."""
    _need(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x), f"{fn}: {what} must be a number")
    return x if isinstance(x, int) else math.floor(x + 0.5)


def _array(x: Any, fn: str) -> list:
    _need(isinstance(x, list), f"{fn}: the first argument must be an array")
    return x


def _partition(arr: list, size: Any) -> list:
    _array(arr, "States.ArrayPartition")
    n = _rounded(size, "States.ArrayPartition", "the chunk size")
    _need(n > 0, "States.ArrayPartition: the chunk size must be positive")
    return [arr[i:i + n] for i in range(0, len(arr), n)]


def _range(start: Any, end: Any, step: Any) -> list:
    a, b, s = (_rounded(v, "States.ArrayRange", "each argument") for v in (start, end, step))
    _need(s != 0, "States.ArrayRange: the step must not be 0")
    r = range(a, b + (1 if s > 0 else -1), s)
    _need(len(r) <= 1000, f"States.ArrayRange: at most 1000 items (this range has {len(r)})")
    return list(r)


def _get_item(arr: list, index: Any) -> Any:
    i = _int(index, "States.ArrayGetItem", "the index")
    _need(0 <= i < len(_array(arr, "States.ArrayGetItem")), f"States.ArrayGetItem: index {i} is out of range")
    return arr[i]


def _unique(arr: list) -> list:
    out: list = []
    for v in _array(arr, "States.ArrayUnique"):
        if v not in out:
            out.append(v)
    return out


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(data: Any, algorithm: str) -> str:
    _need(algorithm in _HASHES, f"States.Hash: algorithm must be one of {', '.join(_HASHES)}")
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    _need(len(text) <= MAX_DATA_CHARS, f"States.Hash: the data is {len(text):,} characters; at most {MAX_DATA_CHARS:,}")
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _merge(a: Any, b: Any, deep: Any) -> dict:
    _need(isinstance(a, dict) and isinstance(b, dict), "States.JsonMerge: both arguments must be objects")
    _need(deep is False, "States.JsonMerge: only a shallow merge is supported (the third argument must be false)")
    return {**a, **b}


def _random(start: Any, end: Any, seed: Any = None) -> int:
    """A random integer in [start, end): "start number (inclusive) and end number (exclusive)"."""
    a, b = _rounded(start, "States.MathRandom", "start"), _rounded(end, "States.MathRandom", "end")
    _need(a < b, "States.MathRandom: start must be less than end (the end is exclusive)")
    if seed is not None:
        seed = _rounded(seed, "States.MathRandom", "the seed")
    return (random.Random(seed) if seed is not None else random).randrange(a, b)


def _add(a: Any, b: Any) -> int:
    return _rounded(a, "States.MathAdd", "each argument") + _rounded(b, "States.MathAdd", "each argument")


def _split(text: str, delims: str) -> list[str]:
    _need(isinstance(text, str) and isinstance(delims, str), "States.StringSplit: both arguments must be strings")
    if not delims:
        return [text]
    return [p for p in re.split("[" + re.escape(delims) + "]", text) if p != ""]


def _b64decode(s: str) -> str:
    _need(isinstance(s, str), "States.Base64Decode: the argument must be a string")
    _need(len(s) <= MAX_DATA_CHARS, f"States.Base64Decode: the data is {len(s):,} characters; at most {MAX_DATA_CHARS:,}")
    return base64.b64decode(s.encode(), validate=True).decode()


def _b64encode(s: str) -> str:
    _need(isinstance(s, str), "States.Base64Encode: the argument must be a string")
    _need(len(s) <= MAX_DATA_CHARS, f"States.Base64Encode: the data is {len(s):,} characters; at most {MAX_DATA_CHARS:,}")
    return base64.b64encode(s.encode()).decode()


def _string_to_json(s: str) -> Any:
    _need(isinstance(s, str), "States.StringToJson: the argument must be a string")
    if not s.strip():
        return None  # an empty string is null, not a parse error
    return json.loads(s)


#: name → (function, min args, max args)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "States.Format": (_format, 1, 999),
    "States.StringToJson": (_string_to_json, 1, 1),
    "States.JsonToString": (lambda x: json.dumps(x, separators=(",", ":")), 1, 1),
    "States.Array": (lambda *xs: list(xs), 0, 999),
    "States.ArrayPartition": (_partition, 2, 2),
    "States.ArrayContains": (lambda arr, v: v in _array(arr, "States.ArrayContains"), 2, 2),
    "States.ArrayRange": (_range, 3, 3),
    "States.ArrayGetItem": (_get_item, 2, 2),
    "States.ArrayLength": (lambda arr: len(_array(arr, "States.ArrayLength")), 1, 1),
    "States.ArrayUnique": (_unique, 1, 1),
    "States.Base64Encode": (_b64encode, 1, 1),
    "States.Base64Decode": (_b64decode, 1, 1),
    "States.Hash": (_hash, 2, 2),
    "States.JsonMerge": (_merge, 3, 3),
    "States.MathRandom": (_random, 2, 3),
    "States.MathAdd": (_add, 2, 2),
    "States.StringSplit": (_split, 2, 2),
    "States.UUID": (lambda: str(uuid.uuid4()), 0, 0),
}
