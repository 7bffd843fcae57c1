"""The states:startExecution integration: a Task starts a new execution (of itself or another machine)."""

from __future__ import annotations

from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine, Resources

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def task(machine: str, **params) -> dict:
    return {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {"StateMachineArn": ARN + machine, **params}, "ResultPath": "$.started", "End": True}


def engine(resources: Resources | None = None) -> Engine:
    return Engine(":memory:", VirtualClock(EPOCH), resources or Resources())


def test_a_task_starts_a_child_and_gets_its_arn_and_start_date():
    e = engine()
    e.create_state_machine("child", {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    e.create_state_machine("parent", {"StartAt": "Start", "States": {"Start": task(
        "child", **{"Input": {"n.$": "$.n", "parent.$": "$$.Execution.Id"}, "Name": "kid-1"})}})
    parent = e.start_execution("parent", {"n": 7}, name="p")
    e.run_until_idle()
    out = e.describe_execution(parent)
    assert out["status"] == "SUCCEEDED"
    started = out["output"]["started"]
    assert started["ExecutionArn"].endswith(":execution:child:kid-1")
    child = e.describe_execution(started["ExecutionArn"])
    assert child["status"] == "SUCCEEDED" and child["input"] == {"n": 7, "parent": parent}
    assert started["StartDate"] == child["startDate"]
    types = [ev.type for ev in e.get_execution_history(parent)]
    assert "TaskScheduled" in types and "TaskSucceeded" in types


def test_a_loop_hands_over_to_a_new_execution_of_itself():
    """The successor pattern: each execution counts to 3, then starts the next one with its state."""
    definition = {"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "gen.$": "$.gen"}, "Next": "More?"},
        "More?": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 9, "Next": "Done"},
            {"Variable": "$.i", "NumericLessThanPath": "$.gen", "Next": "Count"}], "Default": "Next"},
        "Next": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                 "Parameters": {"StateMachineArn": ARN + "loop", "Name.$": "States.Format('gen-{}', $.i)",
                                "Input": {"i.$": "$.i", "gen.$": "States.MathAdd($.i, 3)"}},
                 "ResultPath": "$.successor", "Next": "HandedOver"},
        "HandedOver": {"Type": "Succeed"}, "Done": {"Type": "Succeed"}}}
    e = engine()
    e.create_state_machine("loop", definition)
    e.start_execution("loop", {"i": 0, "gen": 3}, name="gen-0")
    e.run_until_idle()
    runs = e.list_executions()
    assert [r["name"] for r in runs] == ["gen-0", "gen-3", "gen-6"]
    assert all(r["status"] == "SUCCEEDED" for r in runs)
    assert e.describe_execution(runs[-1]["executionArn"])["output"]["i"] == 9


def test_the_same_name_twice_is_execution_already_exists_and_catchable():
    e = engine()
    e.create_state_machine("child", {"StartAt": "W", "States": {"W": {"Type": "Pass", "End": True}}})
    e.start_execution("child", {}, name="taken")
    t = task("child", Name="taken", Input={"x": 1})
    t.pop("End")
    t["Catch"] = [{"ErrorEquals": ["StepFunctions.ExecutionAlreadyExists"], "ResultPath": "$.err", "Next": "Caught"}]
    t["Next"] = "Caught"
    e.create_state_machine("parent", {"StartAt": "Start", "States": {"Start": t, "Caught": {"Type": "Succeed"}}})
    arn = e.start_execution("parent", {})
    e.run_until_idle()
    out = e.describe_execution(arn)["output"]
    assert out["err"]["Error"] == "StepFunctions.ExecutionAlreadyExists"
    assert "'taken'" in out["err"]["Cause"]


def test_an_unknown_machine_or_a_sync_pattern_fails_the_task_with_a_named_error():
    e = engine()
    e.create_state_machine("p1", {"StartAt": "S", "States": {"S": task("nope")}})
    arn = e.start_execution("p1", {})
    d = e.describe_execution(arn)
    assert d["status"] == "FAILED" and d["error"] == "StepFunctions.StateMachineDoesNotExist" and "'nope'" in d["cause"]
    sync = task("p1")
    sync["Resource"] += ".sync:2"
    e.create_state_machine("p2", {"StartAt": "S", "States": {"S": sync}})
    d = e.describe_execution(e.start_execution("p2", {}))
    assert d["status"] == "FAILED" and d["error"] == "States.Runtime" and "request-response only" in d["cause"]
    assert {r["executionArn"].split(":")[-2] for r in e.list_executions()} == {"p1", "p2"}  # no execution was started


def test_a_binding_in_resources_wins_over_the_built_in_integration():
    seen: list[dict] = []

    def mine(p: dict, ctx) -> dict:
        seen.append(p)
        return {"ExecutionArn": "mine"}

    r = Resources().register("states:startExecution", mine)
    e = engine(r)
    e.create_state_machine("p", {"StartAt": "S", "States": {"S": task("whatever")}})
    arn = e.start_execution("p", {})
    assert e.describe_execution(arn)["output"]["started"] == {"ExecutionArn": "mine"}
    assert seen and seen[0]["StateMachineArn"] == ARN + "whatever"


def test_the_same_name_and_input_as_a_running_execution_is_idempotent():
    """StartExecution's rule: a running execution with that name and input is the answer, not an error
    (so a task re-run after a crash starts nothing twice)."""
    e = engine()
    e.create_state_machine("child", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    first = e.start_execution("child", {"x": 1}, name="once")
    e.create_state_machine("parent", {"StartAt": "S", "States": {"S": task("child", Name="once", Input={"x": 1})}})
    out = e.describe_execution(e.start_execution("parent", {}))["output"]["started"]
    assert out["ExecutionArn"] == first
    assert [r["name"] for r in e.list_executions() if r["executionArn"].split(":")[-2] == "child"] == ["once"]
