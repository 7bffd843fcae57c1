"""Thumbnail fan-out on the replay engine: parallel activities, and child workflows for a batch.

    thumbnails(upload):  futures = [start_activity(Resize, upload, size) for size in SIZES]
                         thumbs = await ctx.gather(*futures)          # five in parallel
                         await ctx.activity(WriteManifest, upload, thumbs)

Six outputs per upload (five thumbnails and the manifest). Each Resize has its own RetryPolicy
(3 attempts, 1 s then 2 s apart), so a failing size is retried on its own while the other four
are already done: the gather waits for it, the manifest waits for the gather.

A batch of 1,000 uploads is a tree of child workflows, not one workflow with 1,000 children:
Temporal bounds a run's pending children (2,000 by default, `limit.numPendingChildExecutions`)
and its history (continue-as-new suggested at 4,096 events, 51,200 terminates it), and every
child costs its parent about three events. So the batch parent starts `BATCH_CHUNKS` chunk
children of `CHUNK_SIZE` uploads each and every chunk starts one `thumbnails` child per upload:
at most 100 pending children anywhere, the biggest history (a chunk's) well under 4,096 events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from engines.replay import (
    ApplicationError,
    Client,
    RetryPolicy,
    Server,
    Worker,
    WorkflowContext,
    activity,
    workflow,
)
from engines.replay.history import EventType
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import ReplayDetails
from workloads.options import RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Ledger
from workloads.thumbnails import images as im
from workloads.thumbnails.images import ImageStore, Upload, World
from workloads.thumbnails.observations import ThumbnailObservations, problems_of
from workloads.workload import WorkloadVersion

SCENARIOS = im.SCENARIOS
#: Uploads per chunk child in a batch (each chunk has this many pending children at most).
CHUNK_SIZE = 100
#: Temporal's default limit.numPendingChildExecutions: one run may have this many children open.
MAX_PENDING_CHILDREN = 2_000
RESIZE_RETRY = RetryPolicy(initial_interval=im.RESIZE_FIRST_INTERVAL, backoff_coefficient=im.RESIZE_BACKOFF,
                           maximum_attempts=im.RESIZE_MAX_ATTEMPTS, non_retryable_error_types=("ThumbnailError",))
MANIFEST_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3,
                             non_retryable_error_types=("ManifestIncomplete",))
BATCH_ID = "thumbnails-batch"


def workflow_id(upload_id: str) -> str:
    return f"thumbnails-{upload_id}"


class ThumbnailActivities:
    """The two activities over the image store (they run at least once; writes are idempotent by key)."""

    def __init__(self, images: ImageStore) -> None:
        self.images = images

    @activity.defn(name="Resize")
    def resize(self, upload_id: str, size: int) -> dict:
        return self.images.resize(upload_id, size, at=activity.info().current_time)

    @activity.defn(name="WriteManifest")
    def write_manifest(self, upload_id: str, thumbnails: list[dict]) -> dict:
        return self.images.write_manifest(upload_id, thumbnails, at=activity.info().current_time)

    def all(self) -> list[Callable]:
        return [self.resize, self.write_manifest]


A = ThumbnailActivities


@workflow.defn(name="thumbnails")
async def thumbnails_workflow(ctx: WorkflowContext, upload: Upload) -> dict:
    """One upload: five Resize activities at once, joined, then the manifest that lists them."""
    uid = upload["upload_id"]
    futures = [ctx.start_activity(A.resize, uid, size, activity_id=f"resize-w{size}", retry=RESIZE_RETRY)
               for size in im.SIZES]
    thumbs = await ctx.gather(*futures)
    manifest = await ctx.activity(A.write_manifest, uid, thumbs, activity_id="manifest", retry=MANIFEST_RETRY)
    return {"upload_id": uid, "thumbnails": [t["key"] for t in thumbs], "manifest": manifest["key"]}


@workflow.defn(name="thumbnails-chunk")
async def chunk_workflow(ctx: WorkflowContext, uploads: list[Upload]) -> dict:
    """A bounded slice of a batch: one `thumbnails` child per upload, all pending at once (≤ CHUNK_SIZE)."""
    handles = [ctx.start_child(thumbnails_workflow, u, id=workflow_id(u["upload_id"])) for u in uploads]
    done = await ctx.gather(*handles)
    return {"uploads": len(done), "outputs": sum(len(d["thumbnails"]) + 1 for d in done)}


@workflow.defn(name="thumbnails-batch")
async def batch_workflow(ctx: WorkflowContext, uploads: list[Upload], chunk_size: int = CHUNK_SIZE) -> dict:
    """The batch: chunk children of `chunk_size` uploads, so no run's history or pending children grow with it."""
    if not 1 <= chunk_size <= MAX_PENDING_CHILDREN:
        raise ApplicationError(f"chunk_size {chunk_size}: a chunk starts one child per upload, so it must be 1 to "
                               f"{MAX_PENDING_CHILDREN:,} (Temporal's pending child executions limit)",
                               type="PendingChildWorkflowsLimitExceeded", non_retryable=True)
    chunks = [uploads[i:i + chunk_size] for i in range(0, len(uploads), chunk_size)]
    handles = [ctx.start_child(chunk_workflow, chunk, id=f"{BATCH_ID}-chunk-{n:02d}") for n, chunk in enumerate(chunks, 1)]
    done = await ctx.gather(*handles)
    return {"chunks": len(done), "uploads": sum(d["uploads"] for d in done), "outputs": sum(d["outputs"] for d in done)}


WORKFLOWS = [thumbnails_workflow, chunk_workflow, batch_workflow]


def activity_attempts(history: list[dict[str, Any]]) -> dict[str, int]:
    """Activity id → the attempt it finished on, read from one run's history."""
    ids = {row["id"]: row["attributes"]["activity_id"] for row in history
           if row["type"] == EventType.ACTIVITY_TASK_SCHEDULED}
    return {ids[row["attributes"]["scheduled_event_id"]]: int(row["attributes"]["attempt"])
            for row in history if row["type"] == EventType.ACTIVITY_TASK_STARTED}


def run(scenario: str = "one-upload", *, db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """The scenario's uploads on a fresh virtual clock, one in-process skip-time worker."""
    w = World.open(scenario, "replay", db)
    trace = TraceRecorder("replay", listener)
    server = Server(w.store, w.clock, trace=trace)
    client = Client(server, WORKFLOWS)
    worker = Worker(server, workflows=WORKFLOWS, activities=ThumbnailActivities(w.images).all(), skip_time=True)
    if scenario == "batch-1000":
        top = BATCH_ID
        client.start(batch_workflow, w.uploads, id=top)
    else:
        top = workflow_id(w.uploads[0]["upload_id"])
        client.start(thumbnails_workflow, w.uploads[0], id=top)
    worker.run()
    worker.stop()
    d = client.describe(top)
    details = ReplayDetails.of(client, top, [worker])
    problems = list(worker.stats.problems)
    attempts = {} if scenario == "batch-1000" else activity_attempts(details.history)
    if d.status != "Completed":
        problems.append(f"workflow {top} {d.status.lower()}: {(d.failure or {}).get('message', '')}")
    observed = ThumbnailObservations.read(w.images, w.uploads, attempts=attempts,
                                          workflows=len(client.list()), largest_history=_largest_history(client))
    problems += problems_of(observed, "activity", "RetryPolicy: 3 attempts, 1 s then 2 s apart")
    status = OutcomeStatus.COMPLETED if d.status == "Completed" else OutcomeStatus.FAILED
    # Each activity attempt held one of the worker's activity slots for its run time.
    outcome = outcome_from_ledger("replay", status, Ledger(), None, slot_seconds=w.images.work_seconds(),
                                  events=sum(x.history_length for x in client.list()), problems=problems,
                                  result={**observed.counts, "workflow_result": d.result})
    return WorkloadRun("replay", WorkloadName.THUMBNAILS, scenario, list(trace.events), outcome, Ledger(), details,
                       observed)


def _largest_history(client: Client) -> int:
    return max((x.history_length for x in client.list()), default=0)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.THUMBNAILS, "replay", SCENARIOS, frozenset(), _run_with)
