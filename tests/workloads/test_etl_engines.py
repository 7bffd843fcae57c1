"""Workload B, the nightly ETL, on all three engines: what lands in the warehouse table decides."""

from __future__ import annotations

import pytest

from engines.trace import OutcomeStatus
from workloads.runner import run_workload, scenarios
from workloads.nightly_etl.tables import SCENARIOS

ENGINES = ("replay", "dag", "statemachine")
LOADED = [{"day": "2026-01-01", "orders": 3, "revenue_cents": 4200 + 1999 + 650}]


def test_every_engine_offers_the_three_scenarios():
    assert scenarios("nightly-etl") == list(SCENARIOS) == ["happy", "flaky-transform", "bad-data"]


@pytest.mark.parametrize("engine", ENGINES)
def test_happy_loads_the_warehouse(engine):
    run = run_workload("nightly-etl", engine, "happy")
    assert run.observed.warehouse == LOADED
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert run.outcome.problems == []
    assert run.ledger.entries == []  # an ETL touches no payment, inventory or email service
    assert all(e.engine == engine for e in run.trace)


@pytest.mark.parametrize("engine", ENGINES)
def test_flaky_transform_is_retried_and_loads(engine):
    run = run_workload("nightly-etl", engine, "flaky-transform")
    assert run.observed.warehouse == LOADED
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert any("retried" in p or "tries" in p or "attempts" in p for p in run.outcome.problems)


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_data_fails_visibly_and_loads_nothing(engine):
    run = run_workload("nightly-etl", engine, "bad-data")
    assert run.observed.warehouse == []  # nothing half-loaded
    assert run.outcome.status is OutcomeStatus.FAILED
    assert any("42,00 EUR" in p or "not written" in p for p in run.outcome.problems)


def test_each_engine_retries_the_transient_error_its_own_way():
    replay = run_workload("nightly-etl", "replay", "flaky-transform")
    assert replay.replay.attempts["Transform"] == 2
    failed = [e for e in replay.trace if e.kind == "ActivityTaskFailed"]
    assert len(failed) == 1 and "TransientWarehouseError" in failed[0].detail + str(failed[0].data)
    sm = run_workload("nightly-etl", "statemachine", "flaky-transform")
    types = [h["type"] for h in sm.statemachine.history]
    assert types.count("LambdaFunctionFailed") == 1 and types[-1] == "ExecutionSucceeded"
    dag = run_workload("nightly-etl", "dag", "flaky-transform")
    tries = [row for row in dag.dag.grid if row.get("task_id") == "transform"]
    assert len(tries) >= 2


def test_bad_data_is_final_on_replay_and_statemachine_but_retried_on_dag():
    replay = run_workload("nightly-etl", "replay", "bad-data")
    assert replay.replay.attempts == {"Extract": 1, "Transform": 1}  # non-retryable: no Load scheduled at all
    assert "Load" not in str([h for h in replay.replay.history if h["type"] == "ActivityTaskScheduled"])
    sm = run_workload("nightly-etl", "statemachine", "bad-data")
    entered = [h.get("state") for h in sm.statemachine.history if h["type"].endswith("StateEntered")]
    assert entered == ["Extract", "Transform", "RefreshFailed"]
    assert sm.statemachine.execution_status == "FAILED"
    dag = run_workload("nightly-etl", "dag", "bad-data")
    assert dag.dag.run_state == "failed"
