"""Fast JSON for what the engines store (histories, snapshots, checkpoints).

orjson encodes ~15× faster than the standard library, and every engine writes JSON at every step
it checkpoints, so this is their hot path. What users see (ASL intrinsics such as
States.JsonToString) keeps the standard library's exact formatting.
"""

from __future__ import annotations

from typing import Any

import json

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _fallback(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def dumps(obj: Any) -> str:
    """Compact JSON text; anything JSON has no type for is stored as its str()."""
    try:
        return orjson.dumps(obj, default=_fallback, option=_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):  # e.g. an int wider than 64 bits
        return json.dumps(obj, default=_fallback)


def dumps_strict(obj: Any) -> str:
    """Compact JSON text, or TypeError/ValueError for anything JSON cannot hold (payloads must
    survive a restart exactly, so nothing is silently turned into a string)."""
    try:
        return orjson.dumps(obj, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(obj, allow_nan=False)  # wide ints pass here; other types raise TypeError


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
