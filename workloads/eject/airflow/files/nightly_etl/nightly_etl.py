"""The nightly ETL as an Airflow 3 DAG: extract >> transform >> load, retries=3, @daily.

Exported by `workflow-canvas export nightly-etl --to airflow DIR`. Put this file and
canvas_services.py (with .airflowignore) in your dags folder, set CANVAS_DB to the SQLite file of
the run's world, then `airflow dags test nightly_etl 2026-01-01` (README.md says more).

Short, stateless TaskFlow tasks over the ETL tables (yesterday's source orders -> the warehouse
table), the data passed on as XCom, task-level retries with a 5-minute retry_delay: a transient
warehouse error is fixed by a retry, a source row that cannot be parsed fails every try the same
way, load never runs (upstream_failed) and the warehouse is left untouched.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

import canvas_services
from airflow.sdk import dag, task

from workloads.nightly_etl.tables import EtlTables


@cache
def etl_tables() -> EtlTables:
    """The ETL tables in the run's world (opened on first use, never while the file is parsed)."""
    return EtlTables(canvas_services.store())


@dag(
    dag_id="nightly_etl",
    schedule="@daily",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=5)},
    description="nightly data-warehouse refresh",
    tags=["workflow-canvas"],
)
def nightly_etl():
    @task
    def extract(ds: str | None = None) -> list[list]:
        return etl_tables().extract(ds)

    @task
    def transform(rows: list[list]) -> dict:
        return etl_tables().transform(rows)

    @task
    def load(summary: dict, ds: str | None = None) -> dict:
        return etl_tables().load(ds, summary)

    load(transform(extract()))


nightly_etl()
