"""Thumbnail fan-out as an Airflow DAG: dynamic task mapping, one mapped task instance per size.

    ups = list_uploads()                                   # the run's conf: which uploads
    thumbs = resize.expand(upload_id=ups, size=SIZES)      # uploads x 5 mapped task instances
    write_manifest.expand(upload_id=ups)                   # one per upload, after every resize

Six outputs per upload (five thumbnails and the manifest). `.expand` with two mapped arguments is
a cross product (the size varies fastest), so upload i's thumbnails are map indexes 5i…5i+4 and
its manifest pulls exactly those XComs. Retries are per mapped task instance (retries=2: three
tries, retry_delay 1 s with a backoff multiplier of 2): a failing size goes up_for_retry alone,
its four siblings stay success and never run again.

A batch of 1,000 uploads is chunked into DAG runs of `CHUNK_SIZE` = 50 uploads (250 resize task
instances and 50 manifests a run), not mapped in one run: a mapped task may have at most
max_map_length = 1,024 instances (`[core] max_map_length`), and 1,000 uploads x 5 sizes = 5,000
would fail the expansion with UnmappableXComTypePushed. The limit would allow 204 uploads a run;
50 keeps each run's grid small enough to read and makes the batch 20 runs, triggered at once, as
an upload service would trigger one per chunk, so max_active_runs (16 at a time, the rest queued)
and the executor's parallelism (32 worker slots) are seen at work. (Each mapped instance's
arguments are found from the mapped input's lengths, engines/dag/mapping.py `expand_value_at`, so a
bigger chunk would cost no more per instance.)
Resize and manifest push one XCom each (`multiple_outputs=False`): a `-> dict` task would
otherwise push every key of its result as its own XCom besides the whole, as Airflow does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engines.clock import EPOCH
from engines.dag import DAG, AirflowFailException, Scheduler, task
from engines.dag.mapping import MAX_MAP_LENGTH
from engines.trace import OutcomeStatus
from workloads.details import DagDetails
from workloads.options import RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Ledger, ServiceError
from workloads.thumbnails import images as im
from workloads.thumbnails.images import ImageStore, World
from workloads.thumbnails.observations import ThumbnailObservations, problems_of
from workloads.workload import WorkloadVersion

SCENARIOS = im.SCENARIOS
DAG_ID = "thumbnails"
#: Uploads per DAG run of a batch: CHUNK_SIZE x 5 sizes must stay within max_map_length (see above).
CHUNK_SIZE = 50
assert CHUNK_SIZE * len(im.SIZES) <= MAX_MAP_LENGTH


def build_dag(images: ImageStore) -> DAG:
    """The DAG file: the uploads come in the run's conf; resize is mapped over uploads x sizes."""

    @task(duration=timedelta(0))
    def list_uploads(params: dict[str, Any]) -> list[str]:
        return list(params["upload_ids"])

    @task(duration=timedelta(seconds=im.RESIZE_SECONDS), multiple_outputs=False)
    def resize(upload_id: str, size: int, now: datetime) -> dict:
        try:
            return images.resize(upload_id, size, at=now)
        except im.ThumbnailError as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(duration=timedelta(seconds=im.MANIFEST_SECONDS), multiple_outputs=False)
    def write_manifest(upload_id: str, ti: Any, now: datetime) -> dict:
        first = ti.map_index * len(im.SIZES)
        thumbs = ti.xcom_pull(task_ids="resize", map_indexes=range(first, first + len(im.SIZES)))
        try:
            return images.write_manifest(upload_id, thumbs, at=now)
        except ServiceError as exc:
            if not exc.retryable:
                raise AirflowFailException(f"{exc.type_name}: {exc}") from exc
            raise

    with DAG(DAG_ID, schedule=None, start_date=EPOCH, description="thumbnails on upload: five sizes and a manifest",
             default_args={"retries": im.RESIZE_MAX_ATTEMPTS - 1, "retry_delay": im.RESIZE_FIRST_INTERVAL,
                           "retry_exponential_backoff": im.RESIZE_BACKOFF}) as dag:
        ups = list_uploads()
        thumbs = resize.expand(upload_id=ups, size=list(im.SIZES))
        thumbs >> write_manifest.expand(upload_id=ups)  # it pulls resize's XComs, so it runs after them all
    return dag


def run(scenario: str = "one-upload", *, db: str | Path = ":memory:", listener: Listener | None = None) -> WorkloadRun:
    """One DAG run per chunk of uploads (one run for one upload), run to the end on a fresh clock."""
    w = World.open(scenario, "dag", db)
    sched = Scheduler([build_dag(w.images)], clock=w.clock, db=w.store, listener=listener)
    chunks = [w.uploads[i:i + CHUNK_SIZE] for i in range(0, len(w.uploads), CHUNK_SIZE)]
    run_ids = [sched.trigger_dag(DAG_ID, conf={"upload_ids": [u["upload_id"] for u in chunk]}, run_id=f"manual__upload_chunk_{n:02d}").run_id
               for n, chunk in enumerate(chunks, 1)]
    sched.run_until_idle()
    runs = [sched.dag_run(r) for r in run_ids]
    problems: list[str] = []
    attempts: dict[str, int] = {}
    if len(w.uploads) == 1:
        for ti in runs[0].task_tis("resize"):
            attempts[f"resize-w{im.SIZES[ti.map_index]}"] = ti.try_number
        attempts["manifest"] = runs[0].task_tis("write_manifest")[0].try_number
    for r in runs:
        if r.state != "success":
            problems.append(f"DAG run {r.run_id} ended {r.state}")
    slots = sum(sum(sched.slot_seconds(r).values()) for r in run_ids)
    observed = ThumbnailObservations.read(w.images, w.uploads, attempts=attempts, workflows=len(runs),
                                          largest_history=max(len(r.tis) for r in runs))
    problems += problems_of(observed, "mapped task instance",
                            "retries=2 on the task instance, retry_delay 1 s, backoff multiplier 2")
    status = OutcomeStatus.COMPLETED if all(r.state == "success" for r in runs) else OutcomeStatus.FAILED
    outcome = outcome_from_ledger("dag", status, Ledger(), None, slot_seconds=slots,
                                  events=sum(r.transitions for r in runs), problems=problems,
                                  result={**observed.counts, "dag_runs": len(runs)})
    details = DagDetails.of(sched, run_ids[0])
    trace = list(sched.trace.events)
    sched.close()
    return WorkloadRun("dag", WorkloadName.THUMBNAILS, scenario, trace, outcome, Ledger(), details, observed)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.THUMBNAILS, "dag", SCENARIOS, frozenset(), _run_with)
