"""Workload F, thumbnails on upload, on all three engines: the image store's tables decide.

One upload makes six outputs (five sizes and the manifest listing them) on every engine; a size
that fails twice is retried on its own (only its activity / task instance / Map iteration has
more than one attempt); a batch of 1,000 uploads leaves 6,000 outputs, each engine within its
own limits (Temporal's history sizes, Airflow's max_map_length, Step Functions' 25,000 events).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.dag import Scheduler
from engines.dag.mapping import MAX_MAP_LENGTH
from engines.replay.limits import HistoryLimits
from engines.statemachine.quotas import MAX_HISTORY_EVENTS
from engines.store import open_store
from engines.trace import OutcomeStatus
from workloads.options import RunOptions
from workloads.runs import WorkloadName
from workloads.services import ServiceUnavailable
from workloads.thumbnails import dag, replay, statemachine
from workloads.thumbnails import images as im
from workloads.thumbnails.images import (
    ImageStore,
    ManifestIncomplete,
    ThumbnailError,
    World,
)
from workloads.thumbnails.observations import ThumbnailObservations

VERSIONS = {"replay": replay.WORKLOAD, "dag": dag.WORKLOAD, "statemachine": statemachine.WORKLOAD}
UPLOAD = "upload-0001"


def _run(engine: str, scenario: str, db: str | Path = ":memory:"):
    run = VERSIONS[engine].run(scenario, RunOptions(db=db))
    assert run.engine == engine and run.workload is WorkloadName.THUMBNAILS and run.scenario == scenario
    return run


def test_every_version_declares_the_three_scenarios():
    for engine, version in VERSIONS.items():
        assert version.name == "thumbnail-fan-out" and version.engine == engine
        assert version.scenarios == ("one-upload", "flaky-size", "batch-1000")


@pytest.mark.parametrize("engine", VERSIONS)
def test_one_upload_makes_five_sizes_and_a_manifest_listing_them(engine, tmp_path):
    db = tmp_path / f"{engine}.db"
    run = _run(engine, "one-upload", db)
    rows = ImageStore(open_store(db)).outputs(UPLOAD)  # read back from the file, not from the run
    thumbs = [r for r in rows if r["kind"] == "thumbnail"]
    manifests = [r for r in rows if r["kind"] == "manifest"]
    assert len(rows) == im.OUTPUTS_PER_UPLOAD == 6
    assert sorted(r["size"] or 0 for r in thumbs) == list(im.SIZES)
    assert {(r["size"], r["width"], r["height"]) for r in thumbs} >= {(1024, 1024, 768), (64, 64, 48)}
    assert [m["key"] for m in manifests] == [im.manifest_key(UPLOAD)]
    assert manifests[0]["detail"].split(",") == [im.thumbnail_key(UPLOAD, s) for s in im.SIZES]
    assert run.outcome.status is OutcomeStatus.COMPLETED and run.outcome.problems == []
    observed = run.observed_as(ThumbnailObservations)
    assert observed.retried_calls == {}
    assert set(observed.attempts.values()) == {1}
    assert run.outcome.slot_seconds == len(im.SIZES) * im.RESIZE_SECONDS + im.MANIFEST_SECONDS


@pytest.mark.parametrize("engine", VERSIONS)
def test_the_flaky_size_alone_is_retried_and_the_upload_still_gets_six_outputs(engine, tmp_path):
    db = tmp_path / f"{engine}.db"
    run = _run(engine, "flaky-size", db)
    store = ImageStore(open_store(db))
    calls = store.resize_calls()
    assert calls == {(UPLOAD, s): (1 + im.FLAKY_FAILURES if s == im.FLAKY_SIZE else 1) for s in im.SIZES}
    assert store.counts()["outputs"] == 6
    attempts = run.observed_as(ThumbnailObservations).attempts  # the engine's own record of the tries
    assert attempts.pop(f"resize-w{im.FLAKY_SIZE}") == 3
    assert attempts == {**{f"resize-w{s}": 1 for s in im.SIZES if s != im.FLAKY_SIZE}, "manifest": 1}
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert any(f"{UPLOAD} w{im.FLAKY_SIZE} was resized 3 times" in p for p in run.outcome.problems)
    # the two failed tries held a worker (or Lambda) for their run time too
    assert run.outcome.slot_seconds == (len(im.SIZES) + 2) * im.RESIZE_SECONDS + im.MANIFEST_SECONDS


@pytest.mark.parametrize("engine", VERSIONS)
def test_a_batch_of_1000_uploads_leaves_6000_outputs_within_the_engines_limits(engine):
    run = _run(engine, "batch-1000")
    observed = run.observed_as(ThumbnailObservations)
    assert observed.counts == {"uploads": 1000, "thumbnails": 5000, "manifests": 1000, "outputs": 6000,
                               "complete_uploads": 1000}
    assert observed.retried_calls == {}
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert run.outcome.slot_seconds == 1000 * (5 * im.RESIZE_SECONDS + im.MANIFEST_SECONDS)
    if engine == "replay":  # a tree of bounded children: no run's history near continue-as-new
        assert observed.workflows == 1 + 1000 // replay.CHUNK_SIZE + 1000
        assert observed.largest_history < HistoryLimits().suggest
    elif engine == "dag":  # chunked DAG runs: every mapped task within max_map_length
        assert observed.workflows == 1000 // dag.CHUNK_SIZE
        assert dag.CHUNK_SIZE * len(im.SIZES) <= MAX_MAP_LENGTH
        assert observed.largest_history == 1 + dag.CHUNK_SIZE * im.OUTPUTS_PER_UPLOAD  # task instances of a run
    else:  # one execution per upload, each far under the 25,000-event quota
        assert observed.workflows == 1000
        assert observed.largest_history < MAX_HISTORY_EVENTS


def test_the_whole_batch_in_one_dag_run_passes_max_map_length_and_writes_nothing():
    w = World.open("batch-1000", "dag")
    sched = Scheduler([dag.build_dag(w.images)], clock=w.clock, db=w.store)
    run = sched.test(dag.DAG_ID, conf={"upload_ids": [u["upload_id"] for u in w.uploads]})
    assert run.state == "failed"
    assert [ti.state for ti in run.task_tis("resize")] == ["failed"]  # never expanded: 5,000 > 1,024
    assert [ti.state for ti in run.task_tis("write_manifest")] == ["upstream_failed"]
    assert w.images.counts()["outputs"] == 0


def test_an_unknown_scenario_is_one_line_naming_the_choices():
    with pytest.raises(ThumbnailError, match=r"unknown scenario 'two-uploads' for thumbnail-fan-out on dag; "
                                             r"choose one of one-upload, flaky-size, batch-1000"):
        World.open("two-uploads", "dag")


def test_a_manifest_before_every_size_is_stored_is_refused_and_writes_nothing():
    w = World.open("one-upload", "replay")
    for s in im.SIZES[:-1]:
        w.images.resize(UPLOAD, s)
    with pytest.raises(ManifestIncomplete) as exc:
        w.images.write_manifest(UPLOAD, [{"size": s} for s in im.SIZES[:-1]])
    assert not exc.value.retryable
    assert w.images.counts()["manifests"] == 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(im.SIZES), min_size=1, max_size=15), st.integers(0, 3))
def test_writes_are_idempotent_by_key_whatever_repeats_and_faults_come(sizes, failures):
    w = World.open("one-upload", "replay")
    w.images.inject_flaky(UPLOAD, sizes[0], failures)
    unavailable = 0
    for s in sizes:
        try:
            w.images.resize(UPLOAD, s)
        except ServiceUnavailable:
            unavailable += 1
    assert unavailable == min(failures, sizes.count(sizes[0]))
    stored = [r["size"] or 0 for r in w.images.outputs(UPLOAD)]
    succeeded = set(sizes) - ({sizes[0]} if sizes.count(sizes[0]) <= failures else set())
    assert sorted(stored) == sorted(succeeded)  # one row per key, however many writes
    assert sum(w.images.resize_calls().values()) == len(sizes)
