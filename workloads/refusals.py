"""A refusal is final: a DAG task that meets one fails at once instead of burning its retries.

Every workload's DAG version calls its services through `fail_fast`: a service error marked
non-retryable (a declined card, a refused claim, a bad KYC request) becomes AirflowFailException,
which Airflow never retries; a retryable one (a 503) propagates and the task's retries take it.
"""

from __future__ import annotations

from typing import Any, Callable

from engines.dag import AirflowFailException


def fail_fast(refusals: tuple[type[Exception], ...], fn: Callable[..., dict], *args: Any) -> dict:
    """`fn(*args)`, with a non-retryable error of the `refusals` types turned into AirflowFailException."""
    try:
        return fn(*args)
    except refusals as exc:
        if not getattr(exc, "retryable", False):
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        raise
