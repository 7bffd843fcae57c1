"""The client side of the thumbnail fan-out: put uploads in the image store, start their workflows.

    python starter.py upload            # upload-0001 in the store, thumbnails-upload-0001 started; waits
    python starter.py upload --flaky    # the same, with w512 answering 503 twice before it works
    python starter.py batch [--uploads 1000]   # a batch: thumbnails-batch, chunk children of 100

The server is TEMPORAL_ADDRESS (default localhost:7233); CANVAS_DB is the image store's SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from temporalio.client import Client

import canvas_services
from worker import TASK_QUEUE
from workflows import BATCH_ID, ThumbnailsBatchWorkflow, ThumbnailsWorkflow, workflow_id
from workloads.thumbnails.images import BATCH_UPLOADS, FLAKY_SIZE, ImageStore, upload_of


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("upload", "batch"))
    parser.add_argument("--flaky", action="store_true", help=f"w{FLAKY_SIZE} answers 503 twice, then works")
    parser.add_argument("--uploads", type=int, default=BATCH_UPLOADS, help=f"uploads in a batch (default {BATCH_UPLOADS})")
    args = parser.parse_args()
    if not 1 <= args.uploads <= 10_000:
        parser.error(f"--uploads must be 1 to 10000, got {args.uploads}")
    images = ImageStore(canvas_services.store())
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    if args.action == "upload":
        upload = upload_of(1)
        images.add_uploads([upload])
        if args.flaky:
            images.inject_flaky(upload["upload_id"], FLAKY_SIZE)
        handle = await client.start_workflow(ThumbnailsWorkflow.run, upload, id=workflow_id(upload["upload_id"]),
                                             task_queue=TASK_QUEUE)
    else:
        uploads = [upload_of(n) for n in range(1, args.uploads + 1)]
        images.add_uploads(uploads)
        handle = await client.start_workflow(ThumbnailsBatchWorkflow.run, uploads, id=BATCH_ID, task_queue=TASK_QUEUE)
    print(f"started {handle.id}; waiting for its result")
    print(json.dumps(await handle.result()))
    print(json.dumps(images.counts()))


if __name__ == "__main__":
    asyncio.run(main())
