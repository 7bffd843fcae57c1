"""Workload E, the KYC review, on all three engines: the case file and the email ledger decide.

The outcomes that teach: the DAG loses the customer's new documents (the review is decided on
the old set), replay and the state machine do not; a decision on day 3 approves on every
engine; nobody answering escalates on day 14 on every engine (the DAG only because its sensor's
timeout is raised: left at Airflow's 7-day default it escalates on day 7); the replay query
answers while the workflow waits.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engines.clock import EPOCH, day_of
from engines.dag.sensors import DEFAULT_SENSOR_TIMEOUT
from engines.store import open_store
from engines.trace import OutcomeStatus
from workloads.kyc import case as k
from workloads.kyc import dag, replay, statemachine
from workloads.kyc.observations import KycObservations
from workloads.options import RunOptions
from workloads.runs import WorkloadName, WorkloadRun

VERSIONS = {"replay": replay.WORKLOAD, "dag": dag.WORKLOAD, "statemachine": statemachine.WORKLOAD}
ENGINES = tuple(VERSIONS)


@cache
def _run(engine: str, scenario: str) -> WorkloadRun:
    """Each engine × scenario once per session (the runs are deterministic on a virtual clock)."""
    return VERSIONS[engine].run(scenario, RunOptions())


def _seen(run: WorkloadRun) -> KycObservations:
    return run.observed_as(KycObservations)


def _emails(run: WorkloadRun) -> list[tuple[float, str]]:
    return [(round(day_of(e.at), 2), e.detail) for e in run.ledger.of("email", k.CASE_ID)]


def test_each_engine_declares_the_kyc_workload_and_its_three_scenarios():
    for engine, version in VERSIONS.items():
        assert version.name is WorkloadName.KYC and version.engine == engine
        assert version.scenarios == ("approved", "new-documents", "no-answer")


@pytest.mark.parametrize("engine", ENGINES)
def test_approved_on_day_3_verifies_the_customer_on_every_engine(engine):
    run = _run(engine, "approved")
    assert run.outcome.status is OutcomeStatus.COMPLETED
    emails = _emails(run)
    assert emails[0] == (0.0, f"to {k.CASE['reviewer']}: review case {k.CASE_ID}: documents v1")
    assert emails[1:] == [(3.0, f"to {k.CASE['customer']}: your account is verified")]
    assert run.outcome.emailed == 2
    seen = _seen(run)
    assert seen.decided_version == 1 and seen.lost_versions == [] and seen.escalated_day is None
    assert run.outcome.result["decision"] == "approved"


@pytest.mark.parametrize("module", [replay, dag, statemachine], ids=ENGINES)
def test_a_rejection_tells_the_customer_and_verifies_nothing(module):
    run = module.run("approved", answer="reject")
    assert run.outcome.status is OutcomeStatus.COMPLETED and _seen(run).decision == "rejected"
    assert _emails(run)[-1] == (3.0, f"to {k.CASE['customer']}: we could not verify your identity")
    assert not any("verified" in text for _, text in _emails(run))


@pytest.mark.parametrize("engine", ["replay", "statemachine"])
def test_new_documents_reach_the_running_review_on_replay_and_statemachine(engine):
    run = _run(engine, "new-documents")
    seen = _seen(run)
    assert seen.latest_version == 2 and seen.checked_versions == [1, 2] and seen.lost_versions == []
    assert seen.decided_version == 2  # the reviewer decided on the documents the customer last sent
    assert run.outcome.result["documents_lost"] is False
    assert [d for d, text in _emails(run) if "review case" in text] == [0.0, 5.0]  # asked again on day 5
    assert _emails(run)[-1] == (9.0, f"to {k.CASE['customer']}: your account is verified")
    checked_v2 = next(d for d in seen.documents if d["version"] == 2)
    assert checked_v2["findings"] == "[]" and day_of(_iso(checked_v2["checked_at"])) == 5.0


def test_the_dag_loses_the_new_documents_and_approves_the_old_ones():
    run = _run("dag", "new-documents")
    seen = _seen(run)
    assert seen.latest_version == 2 and seen.checked_versions == [1] and seen.lost_versions == [2]
    assert seen.decided_version == 1  # approved on the set with the 108-day-old proof of address
    assert run.outcome.result["documents_lost"] is True
    assert run.outcome.status is OutcomeStatus.COMPLETED  # the DAG run succeeds: nothing tells it otherwise
    assert [d for d, text in _emails(run) if "review case" in text] == [0.0]  # the reviewer was never asked again
    assert any("documents v2 landed in kyc_documents and no check ever read them" in p for p in run.outcome.problems)
    stale = next(d for d in seen.documents if d["version"] == 1)
    assert "108 days old, over 90" in stale["findings"]


@pytest.mark.parametrize("engine", ENGINES)
def test_no_answer_escalates_on_day_14_on_every_engine(engine):
    run = _run(engine, "no-answer")
    assert run.outcome.status is OutcomeStatus.TIMED_OUT
    day, text = _emails(run)[-1]
    assert text.startswith(f"to {k.CASE['kyc_lead']}:") and day == 14.0
    assert _seen(run).escalated_day == 14.0 and _seen(run).decision == "escalated"
    assert not any(t.startswith(f"to {k.CASE['customer']}") for _, t in _emails(run))


def test_the_dag_reaches_day_14_only_because_its_sensor_timeout_is_raised():
    run = _run("dag", "no-answer")
    assert run.dag.sensor_timeout_seconds == 14 * 86400
    assert run.outcome.result["sensor_timeout_raised"] is True
    assert run.dag.task_states["wait_for_review"] == "failed" and run.dag.task_states["escalate"] == "success"
    left = dag.run("no-answer", sensor_timeout=DEFAULT_SENSOR_TIMEOUT)
    assert _seen(left).escalated_day == 7.0 and left.outcome.result["sensor_timeout_days"] == 7
    assert any("left at Airflow's default (7 days" in p for p in left.outcome.problems)


def test_the_default_sensor_timeout_escalates_before_the_day_9_decision():
    run = dag.run("new-documents", sensor_timeout=DEFAULT_SENSOR_TIMEOUT)
    assert run.outcome.status is OutcomeStatus.TIMED_OUT
    assert _seen(run).escalated_day == 7.0 and _seen(run).decided_version is None
    assert any("decision on day 9 came after the review had closed" in p for p in run.outcome.problems)
    assert _seen(run).lost_versions == [2]


def test_the_replay_query_answers_while_the_workflow_waits():
    statuses = dict(_seen(_run("replay", "new-documents")).statuses)
    before_upload, before_decision = statuses[5.0], statuses[9.0]
    assert before_upload["step"] == "waiting for reviewDecision or newDocuments"
    assert before_upload["documents_version"] == 1 and "over 90" in before_upload["findings"][0]
    assert before_decision["documents_version"] == 2 and before_decision["findings"] == []
    assert day_of(_iso(before_decision["review_due"])) == 19.0  # new documents start the 14 days again
    assert _run("replay", "approved").replay.workflow_status == "Completed"


def test_replay_signals_and_statemachine_tokens_are_in_their_histories():
    history = _run("replay", "new-documents").replay.history
    assert [h["attributes"]["signal_name"] for h in history if h["type"] == "WorkflowExecutionSignaled"] == \
        ["newDocuments", "reviewDecision"]
    sm = _run("statemachine", "new-documents").statemachine.history
    failed = [h for h in sm if h["type"] == "TaskFailed"]
    assert len(failed) == 1 and failed[0]["details"]["error"] == statemachine.NEW_DOCUMENTS_ERROR
    entered = [h["state"] for h in sm if h["type"].endswith("StateEntered")]
    assert entered == ["CheckDocuments", "AwaitReview", "CheckDocuments", "AwaitReview", "Decision",
                       "NotifyApproved", "Approved"]


def test_a_review_queue_that_stops_heartbeating_escalates_in_two_days():
    run = statemachine.run("approved", heartbeats=False)
    assert _seen(run).escalated_day == 2.0 and run.outcome.status is OutcomeStatus.TIMED_OUT
    assert any("HeartbeatSeconds" in p for p in run.outcome.problems)
    assert any("decision on day 3 came after the review had closed" in p for p in run.outcome.problems)


@pytest.mark.parametrize("engine", ["replay", "statemachine"])  # the DAG's case: the default-timeout test above
def test_a_decision_after_the_escalation_changes_nothing(engine):
    run = VERSIONS[engine].run("approved", RunOptions(day=20))
    assert run.outcome.status is OutcomeStatus.TIMED_OUT and _seen(run).decided_version is None
    assert any("decision on day 20 came after the review had closed" in p for p in run.outcome.problems)


@settings(max_examples=12, deadline=None)
@given(day=st.integers(min_value=0, max_value=60).map(lambda half_days: half_days / 2))
@example(day=5.0)
@example(day=19.0)  # the decision at the deadline's instant: the timer fired first on both engines
def test_replay_and_statemachine_tell_the_same_story_whatever_the_decision_day(day):
    """The two engines that receive the new documents agree on every decision day: the decision is
    made on v2 from day 5 (the upload) until just before day 19 (14 days after it), on v1 before,
    and from day 19 on the case was escalated on day 19."""
    runs = [VERSIONS[e].run("new-documents", RunOptions(day=day)) for e in ("replay", "statemachine")]
    told = {(_seen(r).decision, _seen(r).decided_version, _seen(r).escalated_day) for r in runs}
    assert len(told) == 1
    decision, version, escalated = told.pop()
    if day < k.NEW_DOCUMENTS_DAY:
        assert (decision, version) == ("approved", 1)
        assert all(_seen(r).lost_versions == [2] for r in runs)  # sent after the review closed
    elif day < 19:
        assert (decision, version, escalated) == ("approved", 2, None)
    else:
        assert (decision, version, escalated) == ("escalated", None, 19.0)


def test_case_file_refuses_bad_input_and_the_day_is_bounded():
    case = k.CaseFile(open_store(":memory:"))
    with pytest.raises(k.KycError, match="nothing to check"):
        case.check_latest(EPOCH)
    with pytest.raises(k.KycError, match="next one is 1"):
        case.receive_documents(2, EPOCH)
    case.receive_documents(1, EPOCH)
    with pytest.raises(k.KycError, match="not in the queue"):
        case.decide("approve", EPOCH)
    case.ask(1, EPOCH)
    with pytest.raises(k.KycError, match="'approve' or 'reject'"):
        case.decide("maybe", EPOCH)  # type: ignore[arg-type]
    with pytest.raises(k.KycError, match="no document set 9"):
        case.receive_documents(9, EPOCH)
    with pytest.raises(k.KycError, match="--day must be between 0"):
        replay.run("approved", day=-1)
    with pytest.raises(k.KycError, match="unknown scenario 'maybe' for kyc-review on dag"):
        dag.run("maybe")


def test_a_run_on_a_real_file_and_a_second_run_on_it_refused(tmp_path):
    db = tmp_path / "kyc.db"
    run = statemachine.run("new-documents", db=db)
    assert run.outcome.result["decided_on_version"] == 2
    with pytest.raises(k.KycError, match="already in this database"):
        statemachine.run("approved", db=db)
    assert k.CaseFile(open_store(db)).latest_version() == 2  # the refused run added nothing


def _iso(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)
