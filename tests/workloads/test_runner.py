"""The side-by-side runner and its CLI: one workload, one scenario, three engines, one timeline."""

from __future__ import annotations

import json

import pytest

from engines.clock import EPOCH
from engines.dag import NO_ACTOR
from engines.trace import OutcomeStatus
from workloads.runner import UnknownWorkloadError, run_side_by_side, run_workload, scenarios


def test_order_1001_scenarios_are_the_ones_every_engine_has():
    assert scenarios("order-1001") == ["happy", "cancel", "crash", "sick-payment", "declined", "deploy-v2"]


def test_cancel_side_by_side_shows_which_engine_can_hear_it():
    runs = run_side_by_side("order-1001", "cancel")
    assert list(runs) == ["replay", "dag", "statemachine"]
    replay, dag, sm = (runs[e] for e in ("replay", "dag", "statemachine"))
    for run in (replay, sm):  # the cancel lands: refunded and released, nothing shipped
        assert run.ledger.charged_cents("1001") == run.ledger.refunded_cents("1001") == 4200
        assert run.outcome.released == 1 and run.outcome.shipped == 0
        assert run.outcome.status is OutcomeStatus.CANCELED
    assert dag.ledger.charged_cents("1001") == 4200 and dag.ledger.refunded_cents("1001") == 0
    assert dag.outcome.released == 0 and dag.outcome.shipped == 0
    assert any(NO_ACTOR in p for p in dag.outcome.problems)
    for run in runs.values():  # one timeline: every trace starts at day 0
        assert run.trace[0].time == EPOCH and all(e.time >= EPOCH for e in run.trace)


def test_unknown_workload_engine_and_scenario_are_named():
    with pytest.raises(UnknownWorkloadError, match="unknown workload 'payroll'"):
        run_workload("payroll", "replay")
    with pytest.raises(UnknownWorkloadError, match="unknown engine 'cron'"):
        run_workload("order-1001", "cron")
    with pytest.raises(UnknownWorkloadError, match="takes no --day"):
        run_workload("nightly-etl", "dag", "happy", day=3)


def test_cli_run_all_json_shape(capsys):
    from app.cli.main import main

    assert main(["run", "order-1001", "--scenario", "cancel", "--engine", "all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["replay", "dag", "statemachine"]
    for engine, block in data.items():
        assert set(block) == {"status", "outcome", "problems", "error", "trace"}
        assert block["error"] is None
        assert set(block["outcome"]) == {"charged_cents", "refunded_cents", "reserved", "released", "shipped",
                                         "emailed", "slot_seconds", "events"}
        assert block["trace"] and {"time", "engine", "kind", "subject", "detail"} <= set(block["trace"][0])
        assert all(e["engine"] == engine for e in block["trace"])
    assert data["replay"]["outcome"]["refunded_cents"] == data["statemachine"]["outcome"]["refunded_cents"] == 4200
    assert data["dag"]["outcome"]["refunded_cents"] == 0 and data["dag"]["status"] == "failed"


def test_cli_run_one_engine_of_workload_c(capsys):
    from app.cli.main import main

    assert main(["run", "expense-approval", "--scenario", "no-answer", "--engine", "statemachine", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["statemachine"] and data["statemachine"]["status"] == "timed_out"


def test_cli_verify_a_on_dag_is_wrong_with_evidence(capsys):
    from app.cli.main import main

    assert main(["verify", "A", "--on", "dag", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["placed_on"] == "dag" and data["correct"] is False
    assert data["evidence"] and any("on dag" in line for line in data["evidence"])
    assert any(NO_ACTOR in line or "never refunded" in line or "slot" in line for line in data["evidence"])


def test_side_by_side_refuses_a_bad_request_before_running_any_engine():
    """A wrong scenario or a --day the workload has no use for is the caller's mistake: one error,
    never three 'failed' columns (only an engine's own failure becomes its column's outcome)."""
    seen = []
    with pytest.raises(UnknownWorkloadError, match="no scenario 'nope'"):
        run_side_by_side("order-1001", "nope", listener=seen.append)
    with pytest.raises(UnknownWorkloadError, match="takes no --day"):
        run_side_by_side("nightly-etl", "happy", day=3, listener=seen.append)
    assert seen == []  # nothing ran
