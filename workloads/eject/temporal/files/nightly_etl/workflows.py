"""The nightly ETL as a Temporal workflow (temporalio): three activities in a row.

    rows = extract(ds); summary = transform(rows); load(ds, summary)

Each activity has the DAG's retries=3 as a RetryPolicy (four attempts, five minutes apart) and bad
data (`BadSourceRow`) as a non-retryable error type. Durable execution works here, but nothing in
this job needs it: no long wait, no signal, nobody to talk to mid-run. One workflow id per night
(`nightly-etl-<ds>`) means a night's job is started at most once at a time.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import activities

#: Every activity attempt must finish within this (the mini-engine's default start-to-close).
START_TO_CLOSE = timedelta(seconds=10)
#: retries=3: four attempts in all, five minutes apart; bad data is final.
ETL_RETRY = RetryPolicy(initial_interval=timedelta(minutes=5), backoff_coefficient=1.0, maximum_attempts=4,
                        non_retryable_error_types=["BadSourceRow"])


def workflow_id(ds: str) -> str:
    """The night's workflow id: one run per day at a time."""
    return f"nightly-etl-{ds}"


@workflow.defn(name="nightly-etl")
class NightlyEtlWorkflow:
    """Extract → Transform → Load for day `ds`, each activity with the retry policy."""

    @workflow.run
    async def run(self, ds: str) -> dict:
        rows = await workflow.execute_activity(activities.extract, ds, activity_id="extract",
                                               start_to_close_timeout=START_TO_CLOSE, retry_policy=ETL_RETRY)
        summary = await workflow.execute_activity(activities.transform, rows, activity_id="transform",
                                                  start_to_close_timeout=START_TO_CLOSE, retry_policy=ETL_RETRY)
        return await workflow.execute_activity(activities.load, args=[ds, summary], activity_id="load",
                                               start_to_close_timeout=START_TO_CLOSE, retry_policy=ETL_RETRY)
