"""The worker: polls the task queue and runs ORDER #1001's workflow and activities.

    python worker.py            # v1, the code ORDER #1001 started on
    python worker.py --v2       # v2 (the FraudCheck behind workflow.patched): deploy it by stopping
                                # the v1 worker and starting this one; #1001 carries on unchanged

The server is TEMPORAL_ADDRESS (default localhost:7233, what `temporal server start-dev` listens on);
the services' SQLite file is CANVAS_DB. Stop it with Ctrl-C: a worker may stop at any time, the
workflow's state is its history on the server, and the next worker replays it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities import ACTIVITIES
from workflows import OrderWorkflow, OrderWorkflowV2

TASK_QUEUE = "default"


def new_worker(client: Client, *, v2: bool = False, task_queue: str = TASK_QUEUE, **options: Any) -> Worker:
    """A worker for one deployment of the order: v1, or v2 with the gated FraudCheck.

    The activities are synchronous (they write SQLite), so they run on a thread pool."""
    return Worker(client, task_queue=task_queue, workflows=[OrderWorkflowV2 if v2 else OrderWorkflow],
                  activities=ACTIVITIES, activity_executor=ThreadPoolExecutor(max_workers=8), **options)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--v2", action="store_true", help="run v2 (FraudCheck behind patched('fraud-check'))")
    args = parser.parse_args()
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    worker = new_worker(client, v2=args.v2)
    print(f"worker for order ({'v2' if args.v2 else 'v1'}) polling task queue {TASK_QUEUE!r}; Ctrl-C stops it")
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
