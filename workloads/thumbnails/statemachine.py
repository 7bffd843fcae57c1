"""Thumbnail fan-out on the state-machine engine: the ASL in statemachine.json, one execution per upload.

Six outputs per upload: the inline Map `MakeThumbnails` runs one `Resize` Lambda per size (five
at once, MaxConcurrency 5), each with its own Retry, so a failing size is retried on its own;
`WriteManifest` writes the sixth, the row listing them. A size that still fails after its
retries fails the upload (a manifest must list all five): an inline Map tolerates no failed
iteration, and ToleratedFailurePercentage is a Distributed Map field in AWS's docs (moto refuses
it on an inline Map), so the definition does not carry it.

A batch of 1,000 uploads is not one inline Map: an inline Map runs at most 40 iterations at
once and all of them write into the one execution's history, about 46 events an upload, so
1,000 uploads would need ~46,000 events against the 25,000-event quota. AWS's answer is a
Distributed Map, whose iterations are child executions, each with its own history. This
engine's Distributed Map simulates those children inside the parent's history
(engines/statemachine/distributed.py says so), so it would hit the same 25,000. The batch is
therefore run the way a Distributed Map's children (or an S3 upload event per object) run in
AWS: one Standard execution of this machine per upload, each well inside every quota.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engines.statemachine import Engine, HistoryEventType, Resources, TaskContext
from engines.statemachine.quotas import INLINE_MAP_CONCURRENCY, MAX_HISTORY_EVENTS
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import StatemachineDetails
from workloads.options import RunOptions
from workloads.runs import (
    STATEMACHINE_STATUS,
    Listener,
    WorkloadName,
    WorkloadRun,
    outcome_from_ledger,
)
from workloads.services import Ledger
from workloads.thumbnails import images as im
from workloads.thumbnails.images import ImageStore, World
from workloads.thumbnails.observations import ThumbnailObservations, problems_of
from workloads.workload import WorkloadVersion

SCENARIOS = im.SCENARIOS
DEFINITION_PATH = Path(__file__).with_name("statemachine.json")
STATE_MACHINE = "thumbnails"
#: Events one upload's execution writes (measured: 46 healthy, 52 with a size retried twice).
EVENTS_PER_UPLOAD = 46


def definition() -> dict:
    """The ASL in statemachine.json, read fresh (callers may change their copy)."""
    return json.loads(DEFINITION_PATH.read_text())


def resources(images: ImageStore) -> Resources:
    """Bind the two function names to the image store."""
    def resize(p: dict, ctx: TaskContext) -> dict:
        return images.resize(p["upload_id"], p["size"], at=ctx.now)

    def manifest(p: dict, ctx: TaskContext) -> dict:
        return images.write_manifest(p["upload_id"], p["thumbnails"], at=ctx.now)

    return Resources().register("resize", resize).register("write-manifest", manifest)


def execution_name(upload_id: str) -> str:
    return f"thumbnails-{upload_id}"


def size_attempts(history: list[Any]) -> dict[str, int]:
    """Resize invocations per size (LambdaFunctionScheduled events), and the manifest's: the attempts."""
    out: dict[str, int] = {}
    for e in history:
        if e.type == HistoryEventType.LAMBDA_FUNCTION_SCHEDULED:
            unit = f"resize-w{e.details['input']['size']}" if e.state == "Resize" else "manifest"
            out[unit] = out.get(unit, 0) + 1
    return out


def inline_batch_note(uploads: int) -> str:
    """Why the batch is not one inline Map, in the quota's words."""
    return (f"{uploads:,} uploads as one inline Map would need about {uploads * EVENTS_PER_UPLOAD:,} history events, "
            f"past the {MAX_HISTORY_EVENTS:,}-event quota (and at most {INLINE_MAP_CONCURRENCY} iterations at once): "
            f"the batch ran as {uploads:,} executions, one per upload, as a Distributed Map's child executions would")


def run(scenario: str = "one-upload", *, db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """One execution per upload on a fresh virtual clock, run until every one has ended."""
    w = World.open(scenario, "statemachine", db)
    recorder = TraceRecorder("statemachine", listener)
    engine = Engine(w.store, w.clock, resources(w.images), recorder=recorder)
    engine.create_state_machine(STATE_MACHINE, definition())
    arns = [engine.start_execution(STATE_MACHINE, {"upload": u, "sizes": list(im.SIZES)},
                                   name=execution_name(u["upload_id"])) for u in w.uploads]
    engine.run_until_idle()
    statuses = [engine.describe_execution(a)["status"] for a in arns]
    first = engine.get_execution_history(arns[0])
    problems: list[str] = []
    if len(arns) > 1:
        problems.append(inline_batch_note(len(arns)))
    for arn, status in zip(arns, statuses):
        if status != "SUCCEEDED":
            d = engine.describe_execution(arn)
            problems.append(f"execution {arn.rsplit(':', 1)[-1]} ended {status}: {d.get('error')}: {d.get('cause')}")
    attempts = size_attempts(first) if len(arns) == 1 else {}
    lengths = [len(first)] + [len(engine.get_execution_history(a)) for a in arns[1:]]
    events = sum(lengths)
    observed = ThumbnailObservations.read(w.images, w.uploads, attempts=attempts, workflows=len(arns),
                                          largest_history=max(lengths))
    problems += problems_of(observed, "Map iteration", "Retry: ServiceUnavailable, 2 retries, 1 s then 2 s")
    bad = [s for s in statuses if s != "SUCCEEDED"]
    status = OutcomeStatus.COMPLETED if not bad else STATEMACHINE_STATUS.get(bad[0], OutcomeStatus.FAILED)
    # No worker of yours holds a slot: each Lambda invocation is billed for its run time instead.
    outcome = outcome_from_ledger("statemachine", status, Ledger(), None, slot_seconds=w.images.work_seconds(),
                                  events=events, problems=problems, result={**observed.counts, "executions": len(arns)})
    details = StatemachineDetails.of(engine, STATE_MACHINE, arns[0], definition())
    return WorkloadRun("statemachine", WorkloadName.THUMBNAILS, scenario, list(recorder.events), outcome, Ledger(),
                       details, observed)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.THUMBNAILS, "statemachine", SCENARIOS, frozenset(), _run_with)
