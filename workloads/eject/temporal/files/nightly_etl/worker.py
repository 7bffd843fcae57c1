"""The worker: polls the task queue and runs the nightly ETL's workflow and activities.

    python worker.py

The server is TEMPORAL_ADDRESS (default localhost:7233, what `temporal server start-dev` listens
on); the source and warehouse tables are in the SQLite file CANVAS_DB.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities import ACTIVITIES
from workflows import NightlyEtlWorkflow

TASK_QUEUE = "default"


def new_worker(client: Client, *, task_queue: str = TASK_QUEUE, **options: Any) -> Worker:
    """The ETL's worker; the activities are synchronous (they read and write SQLite), so on a thread pool."""
    return Worker(client, task_queue=task_queue, workflows=[NightlyEtlWorkflow], activities=ACTIVITIES,
                  activity_executor=ThreadPoolExecutor(max_workers=4), **options)


async def main() -> None:
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    print(f"worker for nightly-etl polling task queue {TASK_QUEUE!r}; Ctrl-C stops it")
    await new_worker(client).run()


if __name__ == "__main__":
    asyncio.run(main())
