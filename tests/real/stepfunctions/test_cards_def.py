"""Cards D/E/F exported to Step Functions and run on moto, compared with the state-machine engine.

KYC review (card E) is compared in test_stepfunctions_on_moto.py with the first three workloads.
Here: the thumbnail fan-out (card F) and the subscription renewal (card D). Same status, same
ledger, same history event types, and what each workload's users read from its own tables (the
image store's outputs and retried sizes).

Where the real engine truly differs it is listed, not hidden:
- MAP_ITERATIONS_INTERLEAVE: Step Functions runs an inline Map's iterations at once, so their
  events interleave in the thread order of the run; the engine interleaves only at a retry's
  back-off. Compared instead: the events outside the Map in order, the count of each event type
  inside it, and each iteration's attempts read from the real history's previousEventId chains.
- INLINE_TOLERATED_FAILURE: the export drops `ToleratedFailurePercentage: 0` from the inline Map
  (a Distributed-mode field in AWS's docs; moto's parser rejects it on an inline Map). An inline
  Map fails on any failed iteration, which is what 0 % says, so the behaviour is the same.
- SUCCESSOR_START_DATE: moto's executions are dated by its wall clock, not the virtual one, so
  the `successor.StartDate` a hand-over writes into its output is not the engine's date (only
  the last execution's output is compared; it has no successor). moto 5.2.5 also needs two
  gaps in its states:startExecution integration closed (moto_gaps.py): AWS's behaviour, not ours.
- batch-1000 runs here with its first BATCH_UPLOADS uploads (one execution each, ~0.2 s each on
  moto); the export's start-uploads starts all 1,000.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engines.store import open_store
from workloads.eject.real import RealEngineUnavailable, RealRun, RealSystem
from workloads.eject.stepfunctions import SUPPORTED, export, mini_status, mini_steps, run
from workloads.eject.stepfunctions.export import inline_maps_as_documented
from workloads.eject.stepfunctions.map_iterations import lambda_attempts, outside_and_inside_maps
from workloads.runner import run_workload
from workloads.subscription.observations import SubscriptionObservations
from workloads.thumbnails import images as im
from workloads.thumbnails.observations import ThumbnailObservations

BATCH_UPLOADS = 5
MAP_ITERATIONS_INTERLEAVE = "thumbnail-fan-out"
INLINE_TOLERATED_FAILURE = ["States.MakeThumbnails.ToleratedFailurePercentage (0)"]


def _real(workload: str, scenario: str, work_dir: Path, **options: Any) -> RealRun:
    try:
        return run(workload, scenario, work_dir=work_dir, **options)
    except RealEngineUnavailable as exc:
        pytest.skip(str(exc))


def _world(work_dir: Path, workload: str, scenario: str) -> im.ImageStore:
    return im.ImageStore(open_store(work_dir / "stepfunctions" / workload / scenario / "world.sqlite"))


@pytest.mark.parametrize("scenario", ["one-upload", "flaky-size"])
def test_one_upload_on_moto_matches_the_state_machine_engine(scenario: str, tmp_path: Path) -> None:
    real = _real("thumbnail-fan-out", scenario, tmp_path)
    assert isinstance(real.steps, list)
    mini = run_workload("thumbnail-fan-out", "statemachine", scenario)
    seen = mini.observed_as(ThumbnailObservations)
    assert real.system is RealSystem.STEPFUNCTIONS
    assert real.status == mini_status(mini) == "SUCCEEDED"
    assert real.ledger == mini.ledger.counts(None)
    assert sorted(real.steps) == sorted(mini_steps(mini))
    assert outside_and_inside_maps(real.steps) == outside_and_inside_maps(mini_steps(mini))
    # Each size's attempts from the real history's own iterations, beside the engine's.
    attempts = {f"resize-w{im.SIZES[int(key.split('[')[1][:-1])]}": n for key, n in lambda_attempts(real.history).items()}
    assert attempts == {k: v for k, v in seen.attempts.items() if k.startswith("resize-")}
    images = _world(tmp_path, "thumbnail-fan-out", scenario)
    assert images.counts() == seen.counts
    assert images.retried() == seen.retried_calls
    assert [(o["key"], o["width"], o["height"]) for o in images.outputs()] == \
        [(o["key"], o["width"], o["height"]) for o in seen.outputs]
    assert real.output["manifest"] == {"key": im.manifest_key("upload-0001"), "thumbnails": 5, "rewritten": False}


def test_the_batch_is_one_execution_per_upload_as_on_the_engine(tmp_path: Path) -> None:
    """batch-1000 in its first BATCH_UPLOADS uploads: each upload's execution is the one the
    engine's batch runs per upload (its first is the one-upload run), so it is compared with
    that run, scaled; the engine's 1,000 are not run here (4 s) since nothing per upload differs."""
    real = _real("thumbnail-fan-out", "batch-1000", tmp_path, uploads=BATCH_UPLOADS)
    mini = run_workload("thumbnail-fan-out", "statemachine", "one-upload")
    assert real.status == mini_status(mini) == "SUCCEEDED"
    assert isinstance(real.steps, list)
    assert outside_and_inside_maps(real.steps) == outside_and_inside_maps(mini_steps(mini))
    others = BATCH_UPLOADS - 1
    assert [e.name for e in getattr(real, "executions")] == [f"thumbnails-upload-{n:04d}" for n in range(1, BATCH_UPLOADS + 1)]
    assert all(e.status == "SUCCEEDED" for e in getattr(real, "executions")), real.notes
    assert len(real.notes) == others
    counts = _world(tmp_path, "thumbnail-fan-out", "batch-1000").counts()
    assert counts == {k: v * BATCH_UPLOADS for k, v in mini.observed_as(ThumbnailObservations).counts.items()}


def test_the_export_is_the_engines_definition_and_would_drop_a_distributed_field_from_an_inline_map(tmp_path: Path) -> None:
    import json

    from workloads.thumbnails.statemachine import definition

    assert "thumbnail-fan-out" in SUPPORTED
    files = {p.name for p in export("thumbnail-fan-out", tmp_path)}
    assert {"statemachine.asl.json", "resources.json", "handlers.py", "deploy.py", "sfn.py", "canvas_services.py",
            "README.md"} <= files
    exported = json.loads((tmp_path / "statemachine.asl.json").read_text())
    assert exported == definition()  # the workload's ASL carries no Distributed-only field on its inline Map
    with_field = definition()
    with_field["States"]["MakeThumbnails"]["ToleratedFailurePercentage"] = 0
    fixed, dropped = inline_maps_as_documented(with_field)
    assert fixed == definition() and dropped == INLINE_TOLERATED_FAILURE
    resources = json.loads((tmp_path / "resources.json").read_text())
    assert resources["functions"]["resize"]["states"] == ["Resize"]  # the Task inside the Map's ItemProcessor
    assert resources["functions"]["write-manifest"]["handler"] == "handlers.write_manifest"


SUBSCRIPTION = "subscription-renewal"
SUCCESSOR_START_DATE = "successor.StartDate"


def _charged(history: list[dict[str, Any]]) -> tuple[int, ...]:
    """The renewals one real execution charged: ChargeRenewal's TaskScheduled parameters name the
    period, its TaskSucceeded output says whether it charged (as the engine's charged_in reads)."""
    import json

    out: list[int] = []
    state, period = "", 0
    for e in history:
        if e["type"].endswith("StateEntered"):
            state = e["stateEnteredEventDetails"]["name"]
        elif state == "ChargeRenewal" and e["type"] == "TaskScheduled":
            period = int(json.loads(e["taskScheduledEventDetails"]["parameters"])["Payload"]["period"])
        elif state == "ChargeRenewal" and e["type"] == "TaskSucceeded":
            if json.loads(e["taskSucceededEventDetails"]["output"])["Payload"]["status"] == "charged":
                out.append(period)
    return tuple(out)


@pytest.mark.parametrize("scenario", ["cancel", "declined", "happy", "price-change"])
def test_three_years_of_renewals_on_moto_match_the_state_machine_engine(scenario: str, tmp_path: Path) -> None:
    real = _real(SUBSCRIPTION, scenario, tmp_path, timeout_s=120)
    mini = run_workload(SUBSCRIPTION, "statemachine", scenario)
    runs = mini.observed_as(SubscriptionObservations).runs
    assert real.status == mini_status(mini) == "SUCCEEDED"
    assert real.ledger == mini.ledger.counts("SUB-42")
    assert real.steps == mini_steps(mini)  # the last execution of the chain, as the engine's details hold
    assert real.output == mini.outcome.result["output"]
    executions = getattr(real, "executions")
    assert [(e.status, _charged(e.history), len(e.history)) for e in executions] == \
        [(r.status, r.periods, r.history_length) for r in runs]
    names = [e.name for e in executions]
    assert names == [f"SUB-42-from-renewal-{r.periods[0]}" for r in runs]
    assert all(e.steps[-1] == "ExecutionSucceeded" for e in executions)


def test_the_subscription_export_starts_its_successor_with_a_rewritten_arn(tmp_path: Path) -> None:
    import json
    import sys

    files = {p.name for p in export(SUBSCRIPTION, tmp_path)}
    assert {"statemachine.asl.json", "resources.json", "handlers.py", "deploy.py", "README.md"} <= files
    resources = json.loads((tmp_path / "resources.json").read_text())
    assert sorted(resources["functions"]) == ["charge-renewal", "send-receipt"]
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop("sfn", None)
        import sfn  # type: ignore[import-not-found]  # the export's own boto3 helpers

        asl = sfn.rendered(sfn.definition(1), "eu-west-1", "999999999999")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("sfn", None)
    start = asl["States"]["StartSuccessor"]["Parameters"]["StateMachineArn"]
    assert start == "arn:aws:states:eu-west-1:999999999999:stateMachine:subscription-renewal"
    assert asl["States"]["ChargeRenewal"]["Parameters"]["FunctionName"] == \
        "arn:aws:lambda:eu-west-1:999999999999:function:charge-renewal"
