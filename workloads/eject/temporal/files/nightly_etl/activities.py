"""The nightly ETL's steps as temporalio activities: the same three steps every engine calls.

Extract reads last night's source orders, Transform sums them, Load writes the warehouse row
(`workloads.nightly_etl.tables.EtlTables`, on the SQLite file named by CANVAS_DB). A dropped
warehouse connection is an ordinary exception, so the RetryPolicy retries it; a source row that
cannot be parsed is a non-retryable ApplicationError (`BadSourceRow`): no retry will fix it, so the
workflow fails at once and Load never runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

import canvas_services
from workloads.nightly_etl.tables import BadSourceRow, EtlTables


@cache
def tables() -> EtlTables:
    """The ETL's tables in the world's store (one per worker process)."""
    return EtlTables(canvas_services.store())


@activity.defn(name="Extract")
def extract(ds: str) -> list[list]:
    return tables().extract(ds)


@activity.defn(name="Transform")
def transform(rows: list[list]) -> dict:
    try:
        return tables().transform(rows)
    except BadSourceRow as exc:
        raise ApplicationError(str(exc), type="BadSourceRow", non_retryable=True) from None


@activity.defn(name="Load")
def load(ds: str, summary: dict) -> dict:
    return tables().load(ds, summary)


ACTIVITIES: list[Callable[..., Any]] = [extract, transform, load]
