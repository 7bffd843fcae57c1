"""Payloads are JSON: inputs, results, signal payloads and heartbeat details must survive a
restart exactly, so they are stored as JSON text and never pickled.

Anything JSON cannot hold is refused at once with a `PayloadError` that names the value, instead
of failing later (or silently turning into a string) when a worker reads the history back.
"""

from __future__ import annotations

from typing import Any

from engines import jsonio
from engines.replay.errors import PayloadError


def to_json_text(value: Any, what: str) -> str:
    """`value` as the JSON text the history stores; `what` names it in the error."""
    try:
        return jsonio.dumps_strict(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{what} cannot be stored as JSON: {exc}") from None


def to_payload(value: Any, what: str) -> Any:
    """`value` as it will come back from the history (a JSON round trip), checked now."""
    return jsonio.loads(to_json_text(value, what))
