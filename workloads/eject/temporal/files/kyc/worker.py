"""The worker: polls the task queue and runs the KYC review's workflow and activities.

    python worker.py

The server is TEMPORAL_ADDRESS (default localhost:7233, what `temporal server start-dev` listens
on); the services and the case file are in the SQLite file CANVAS_DB. While the review waits for
the reviewer no worker is needed: stop this one and start it again when the answer comes.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities import ACTIVITIES
from workflows import KycReviewWorkflow

TASK_QUEUE = "default"


def new_worker(client: Client, *, task_queue: str = TASK_QUEUE, **options: Any) -> Worker:
    """The review's worker; the activities are synchronous (they write SQLite), so on a thread pool."""
    return Worker(client, task_queue=task_queue, workflows=[KycReviewWorkflow], activities=ACTIVITIES,
                  activity_executor=ThreadPoolExecutor(max_workers=8), **options)


async def main() -> None:
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    print(f"worker for kyc-review polling task queue {TASK_QUEUE!r}; Ctrl-C stops it")
    await new_worker(client).run()


if __name__ == "__main__":
    asyncio.run(main())
