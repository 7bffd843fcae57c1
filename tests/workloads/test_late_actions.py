"""A scenario's action after the workload has ended: each engine answers it in its own terms.

"Cancel too late" is a classroom demo: Temporal's server refuses a signal to a closed workflow
("workflow execution already completed"), Step Functions has no task token left to fail, and
Airflow has nothing left to mark. Whatever the action (cancel, crash, deploy, the manager's
answer), a day after the end changes nothing the services recorded, and no engine's answer
replaces another's column.
"""

from __future__ import annotations

import json

import pytest

from engines.clock import EPOCH, day_of
from engines.trace import ENGINES, OutcomeStatus
from workloads.order_1001.order import ORDER_ID
from workloads.runner import run_side_by_side, scenarios

#: The runs with no action in them: what a late action must leave exactly as it was.
BASELINE = {"order-1001": "happy", "expense-approval": "no-answer"}
#: A day after each workload has ended (ORDER #1001 ships on day 30; the claim's window closes on day 3).
LATE_DAY = 45.0


def _counts(run) -> dict[str, int]:
    return run.ledger.counts(ORDER_ID if run.workload == "order-1001" else None)


@pytest.mark.parametrize("workload", sorted(BASELINE))
def test_every_action_after_the_end_changes_nothing_on_any_engine(workload):
    baseline = run_side_by_side(workload, BASELINE[workload])
    for scenario in scenarios(workload):
        runs = run_side_by_side(workload, scenario, day=LATE_DAY)
        assert list(runs) == list(ENGINES)
        for engine, run in runs.items():
            where = f"{workload} {scenario} on {engine}, day {LATE_DAY:g}"
            assert run.error is None, f"{where} raised: {run.error}"
            assert run.trace and run.trace[0].time == EPOCH, where
            assert all(e.engine == engine for e in run.trace), where
            if scenario in ("sick-payment", "declined"):  # no day to act on: their own outcome, not the baseline's
                continue
            # The late action moved no money and no goods of the workload: the ledger is the baseline's.
            assert _counts(run) == _counts(baseline[engine]), where
            assert run.outcome.status == baseline[engine].outcome.status, where


def test_cancel_on_day_30_is_answered_three_ways_side_by_side(capsys):
    from app.cli.main import main

    assert main(["run", "order-1001", "--scenario", "cancel", "--day", "30", "--engine", "all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["replay", "dag", "statemachine"]
    replay, dag, sm = data["replay"], data["dag"], data["statemachine"]
    assert all(block["error"] is None and block["trace"] for block in data.values())

    # Temporal: the signal fails as SignalWorkflowExecution on a completed workflow does; the order stays fulfilled.
    assert replay["status"] == "completed" and replay["outcome"]["shipped"] == 1
    assert replay["outcome"]["refunded_cents"] == 0
    assert any("workflow execution already completed" in p for p in replay["problems"])
    refused = [e for e in replay["trace"] if e["kind"] == "SignalWorkflowExecution failed"]
    assert len(refused) == 1 and refused[0]["severity"] == "warning"
    assert day_of(_when(refused[0])) == 30

    # Step Functions: no task token to fail, the execution already SUCCEEDED.
    assert sm["status"] == "completed" and sm["outcome"]["shipped"] == 1
    assert any("no task token to fail" in p and "SUCCEEDED" in p for p in sm["problems"])
    assert any(e["kind"] == "SendTaskFailure not sent" for e in sm["trace"])

    # Airflow: nothing to mark, the run had already finished (failed on day 7 by its sensor timeout).
    assert dag["status"] == "timed_out" and dag["outcome"]["refunded_cents"] == 0
    assert any("nothing to mark" in p and "already failed" in p for p in dag["problems"])


def test_a_cancel_inside_the_window_is_still_delivered():
    runs = run_side_by_side("order-1001", "cancel", day=29)
    for engine in ("replay", "statemachine"):
        run = runs[engine]
        assert run.outcome.status is OutcomeStatus.CANCELED and run.outcome.shipped == 0
        assert run.ledger.refunded_cents(ORDER_ID) == 4200
        assert not any(e.kind in ("SignalWorkflowExecution failed", "SendTaskFailure not sent") for e in run.trace)


def test_a_crash_after_the_end_is_named_as_changing_nothing():
    runs = run_side_by_side("order-1001", "crash", day=400)
    assert any("changed nothing" in p for p in runs["replay"].outcome.problems)
    assert any("nothing to resume" in p for p in runs["statemachine"].outcome.problems)
    assert any("changed nothing" in p for p in runs["dag"].outcome.problems)
    assert all(run.outcome.shipped == (0 if engine == "dag" else 1) for engine, run in runs.items())


def test_one_engine_raising_keeps_the_other_columns():
    """A follower that breaks on the DAG's events makes the DAG's run fail alone, with its error and the
    events it had emitted; the other two engines' runs are the ones they give without it."""
    def follower(event):
        if event.engine == "dag" and event.kind.startswith("TaskInstance"):
            raise RuntimeError(f"the follower broke on {event.subject}")

    calm = run_side_by_side("order-1001", "cancel", day=30)
    runs = run_side_by_side("order-1001", "cancel", day=30, listener=follower)
    dag = runs["dag"]
    assert dag.error == "RuntimeError: the follower broke on charge"
    assert dag.outcome.status is OutcomeStatus.FAILED and "RuntimeError" in dag.outcome.problems[0]
    assert dag.trace and dag.trace[-1].subject == "charge"
    assert dag.to_json()["error"] == dag.error
    for engine in ("replay", "statemachine"):
        assert runs[engine].error is None
        assert [e.kind for e in runs[engine].trace] == [e.kind for e in calm[engine].trace]
        assert runs[engine].outcome == calm[engine].outcome


@pytest.mark.parametrize("argv, named", [
    (["--day", "nan"], "--day"), (["--day", "inf"], "--day"), (["--day", "1e308"], "--day"),
    (["--day", "-1"], "--day"), (["--scenario", ""], "--scenario"),
])
def test_run_refuses_a_bad_day_or_scenario_in_one_line(capsys, argv, named):
    from app.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(["run", "order-1001", *argv])
    assert exit_.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and f"argument {named}" in errors[0]


def _when(event: dict):
    from datetime import datetime

    return datetime.fromisoformat(event["time"])
