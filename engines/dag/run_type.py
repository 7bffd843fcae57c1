"""How a DAG run came to be (Airflow's DagRunType, from airflow/utils/types.py; not named types.py
here, which would shadow the standard library module).

The run type is part of the run id (`manual__2026-01-01T00:00:00+00:00`) and is stored with the
run, so its values are the strings Airflow writes.
"""

from __future__ import annotations

from enum import StrEnum


class DagRunType(StrEnum):
    """Who asked for the run: a person (`airflow dags trigger`) or the DAG's schedule."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"
