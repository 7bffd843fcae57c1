"""Thumbnails on upload as Temporal workflows (temporalio): parallel activities, child workflows for a batch.

    ThumbnailsWorkflow:  thumbs = await asyncio.gather(*(Resize(upload, size) for size in SIZES))
                         await WriteManifest(upload, thumbs)

Six outputs per upload (five thumbnails and the manifest). Each Resize has its own RetryPolicy (3
attempts, 1 s then 2 s apart), so a failing size is retried on its own while the other four are
already done: the gather waits for it, the manifest waits for the gather.

A batch of 1,000 uploads is a tree of child workflows, not one workflow with 1,000 children:
Temporal bounds a run's pending children (`limit.numPendingChildExecutions`, 2,000 by default) and
its history (continue-as-new suggested at 4,096 events, 51,200 terminate it), and every child costs
its parent a few events. So `ThumbnailsBatchWorkflow` starts chunk children of CHUNK_SIZE uploads
and every chunk starts one `thumbnails` child per upload: at most 100 pending children anywhere.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import activities
    from workloads.thumbnails.images import (
        RESIZE_BACKOFF,
        RESIZE_FIRST_INTERVAL,
        RESIZE_MAX_ATTEMPTS,
        SIZES,
    )

Upload = dict[str, Any]

#: Every activity attempt must finish within this (the mini-engine's default start-to-close).
START_TO_CLOSE = timedelta(seconds=10)
#: A resize: three attempts in all, 1 s then 2 s apart; an unknown upload or size is final.
RESIZE_RETRY = RetryPolicy(initial_interval=RESIZE_FIRST_INTERVAL, backoff_coefficient=RESIZE_BACKOFF,
                           maximum_attempts=RESIZE_MAX_ATTEMPTS, non_retryable_error_types=["ThumbnailError"])
#: A manifest asked for before every thumbnail is stored is the code's fault: never retried.
MANIFEST_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3,
                             non_retryable_error_types=["ManifestIncomplete"])
#: Uploads per chunk child in a batch (each chunk has this many pending children at most).
CHUNK_SIZE = 100
#: Temporal's default limit.numPendingChildExecutions: one run may have this many children open.
MAX_PENDING_CHILDREN = 2_000
BATCH_ID = "thumbnails-batch"


def workflow_id(upload_id: str) -> str:
    """One workflow per upload: an upload is made into thumbnails at most once at a time."""
    return f"thumbnails-{upload_id}"


@workflow.defn(name="thumbnails")
class ThumbnailsWorkflow:
    """One upload: five Resize activities at once, joined, then the manifest that lists them."""

    @workflow.run
    async def run(self, upload: Upload) -> dict:
        uid = upload["upload_id"]
        thumbs = await asyncio.gather(*(
            workflow.execute_activity(activities.resize, args=[uid, size], activity_id=f"resize-w{size}",
                                      start_to_close_timeout=START_TO_CLOSE, retry_policy=RESIZE_RETRY)
            for size in SIZES))
        manifest = await workflow.execute_activity(activities.write_manifest, args=[uid, list(thumbs)],
                                                   activity_id="manifest", start_to_close_timeout=START_TO_CLOSE,
                                                   retry_policy=MANIFEST_RETRY)
        return {"upload_id": uid, "thumbnails": [t["key"] for t in thumbs], "manifest": manifest["key"]}


@workflow.defn(name="thumbnails-chunk")
class ThumbnailsChunkWorkflow:
    """A bounded slice of a batch: one `thumbnails` child per upload, all pending at once (≤ CHUNK_SIZE)."""

    @workflow.run
    async def run(self, uploads: list[Upload]) -> dict:
        done = await asyncio.gather(*(
            workflow.execute_child_workflow(ThumbnailsWorkflow.run, u, id=workflow_id(u["upload_id"]))
            for u in uploads))
        return {"uploads": len(done), "outputs": sum(len(d["thumbnails"]) + 1 for d in done)}


@workflow.defn(name="thumbnails-batch")
class ThumbnailsBatchWorkflow:
    """The batch: chunk children of `chunk_size` uploads, so no run's history or pending children grow with it."""

    @workflow.run
    async def run(self, uploads: list[Upload], chunk_size: int = CHUNK_SIZE) -> dict:
        if not 1 <= chunk_size <= MAX_PENDING_CHILDREN:
            raise ApplicationError(f"chunk_size {chunk_size}: a chunk starts one child per upload, so it must be 1 "
                                   f"to {MAX_PENDING_CHILDREN:,} (Temporal's pending child executions limit)",
                                   type="PendingChildWorkflowsLimitExceeded", non_retryable=True)
        chunks = [uploads[i:i + chunk_size] for i in range(0, len(uploads), chunk_size)]
        done = await asyncio.gather(*(
            workflow.execute_child_workflow(ThumbnailsChunkWorkflow.run, chunk, id=f"{BATCH_ID}-chunk-{n:02d}")
            for n, chunk in enumerate(chunks, 1)))
        return {"chunks": len(done), "uploads": sum(d["uploads"] for d in done),
                "outputs": sum(d["outputs"] for d in done)}


WORKFLOWS: list[type] = [ThumbnailsWorkflow, ThumbnailsChunkWorkflow, ThumbnailsBatchWorkflow]
