"""The worker: polls the task queue and runs the thumbnail workflows and their two activities.

    python worker.py

The server is TEMPORAL_ADDRESS (default localhost:7233, what `temporal server start-dev` listens
on); the image store is in the SQLite file CANVAS_DB. The five resizes of an upload run at once on
the activity thread pool; start more workers on the same task queue to fan a batch out wider.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities import ACTIVITIES
from workflows import WORKFLOWS

TASK_QUEUE = "default"


def new_worker(client: Client, *, task_queue: str = TASK_QUEUE, **options: Any) -> Worker:
    """The fan-out's worker; the activities are synchronous (they write SQLite), so on a thread pool."""
    return Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES,
                  activity_executor=ThreadPoolExecutor(max_workers=8), max_concurrent_activities=8, **options)


async def main() -> None:
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    print(f"worker for thumbnail-fan-out polling task queue {TASK_QUEUE!r}; Ctrl-C stops it")
    await new_worker(client).run()


if __name__ == "__main__":
    asyncio.run(main())
