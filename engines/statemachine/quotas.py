"""Step Functions' service quotas that bound every execution, and the words AWS uses when one is hit.

- History: "a hard quota of 25,000 entries in the execution event history. When an execution
  reaches 24,999 events … If the event number 25,000 isn't ExecutionSucceeded, the
  ExecutionFailed event is logged" (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html);
  the execution fails with "The execution reached the maximum number of history events (25000)."
  This is what ends an endless Pass → Choice loop or a retry storm instead of memory running out.
- Payload: 256 KiB "as a UTF-8 encoded string" for a task's, state's or execution's input or
  output (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), reported as
  `States.DataLimitExceeded` with the cause recorded against AWS in LocalStack's
  tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json.
- Inline Map: at most 40 concurrent iterations
  (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html), so a 100,000-item
  Map holds 40 live iterations, never 100,000.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_HISTORY_EVENTS = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."

MAX_PAYLOAD_BYTES = 256 * 1024

INLINE_MAP_CONCURRENCY = 40


def payload_bytes(value: Any) -> int:
    """The size of `value` as UTF-8 JSON text (what the 256 KiB quota measures)."""
    try:
        return len(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))
    except (orjson.JSONEncodeError, TypeError):  # deeper than orjson goes, or an int wider than 64 bits
        import json

        try:
            return len(json.dumps(value, default=str, separators=(",", ":")).encode())
        except (RecursionError, ValueError):
            return MAX_PAYLOAD_BYTES + 1  # too deep to even measure: certainly not a payload AWS would take


def too_large(value: Any) -> bool:
    """Is `value` over the 256 KiB payload quota? (cheap for the small documents most states pass)"""
    if value is None or isinstance(value, (bool, int, float)):
        return False
    return payload_bytes(value) > MAX_PAYLOAD_BYTES


def data_limit_cause(name: str) -> str:
    """AWS's cause for a result over the quota; `name` is the state, or the task's resource."""
    return f"The state/task '{name}' returned a result with a size exceeding the maximum number of bytes service limit."
