"""Lambda handlers behind the nightly ETL's state machine (statemachine.asl.json).

Three functions (`Handler` = `handlers.<name>`, see resources.json) over the ETL's own tables
(`workloads.nightly_etl.tables.EtlTables`), the steps every engine's version runs. A dropped
warehouse connection raises TransientWarehouseError (the definition retries it 3 × 300 s); an
unparseable source row raises BadSourceRow (caught, the run ends in RefreshFailed).

TRANSIENT_WAREHOUSE_FAILURES (an environment variable of the Lambda, read at cold start) makes
the first N transforms in a container drop the connection: the flaky-transform scenario.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import canvas_services

from workloads.nightly_etl.tables import EtlTables


@cache
def tables() -> EtlTables:
    """The container's tables (one per warm container, as Lambda reuses module state)."""
    return EtlTables(canvas_services.store(), int(os.environ.get("TRANSIENT_WAREHOUSE_FAILURES", "0")))


def etl_extract(event: dict[str, Any], context: Any) -> list[list]:
    return tables().extract(event["ds"])


def etl_transform(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return tables().transform(event["rows"])


def etl_load(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return tables().load(event["ds"], event["summary"])
