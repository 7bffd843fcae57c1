"""Issue 15, state machine half: where the engine answers as AWS does, each with the source that decides it.

"LocalStack snapshot" below means a history recorded against real AWS, checked in by LocalStack at
github.com/localstack/localstack, tests/aws/services/stepfunctions/v2/… (the file named).
"""

from __future__ import annotations

import pytest

from engines.statemachine import Resources, TaskFailed, validate
from tests.statemachine.helpers import LAMBDA, machine, run

JSONATA = {"QueryLanguage": "JSONata"}


# ------------------------------------------------------------------ Choice: Assign on the Default branch
# LocalStack templates/assign/statemachines/base_assign_in_choice.json5; snapshot
# assign/test_assign_reference_variables.snapshot.json, test_assign_in_choice_state[INCORRECT]:
# the state's own Assign applies when Default is taken, a rule's own Assign when that rule matches.
ASSIGN_IN_CHOICE = {"StartAt": "CheckInputState", "States": {
    "CheckInputState": {"Type": "Choice", "Choices": [
        {"Variable": "$.input_value", "IsPresent": False, "Assign": {"status": "UNKNOWN"}, "Next": "FinalState"},
        {"Variable": "$.input_value", "NumericEquals": 42, "Assign": {"status": "CORRECT"}, "Next": "FinalState"}],
        "Assign": {"status": "INCORRECT", "guess.$": "$.input_value"}, "Default": "FinalState"},
    "FinalState": {"Type": "Pass", "Parameters": {"result.$": "$status"}, "End": True}}}


@pytest.mark.parametrize("given,expected", [({"input_value": 0}, "INCORRECT"), ({"input_value": 42}, "CORRECT"),
                                            ({}, "UNKNOWN")])
def test_choice_assign_applies_on_the_default_branch_too(given, expected):
    r = run(ASSIGN_IN_CHOICE, given)
    assert (r.status, r.output) == ("SUCCEEDED", {"result": expected})


def test_jsonata_choice_default_takes_the_states_output():
    d = {**JSONATA, **machine(C={"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "E"}],
                                 "Output": {"took": "default"}, "Default": "E"},
                              E={"Type": "Succeed"})}
    assert run(d, {}).output == {"took": "default"}


# ------------------------------------------------------------------ JSONata: nothing is an error, not null
def test_an_undefined_jsonata_result_is_a_query_evaluation_error():
    # snapshot assign/test_assign_reference_variables.snapshot.json, test_undefined_reference:
    # "The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined)."
    r = run({**JSONATA, **machine(S={"Type": "Pass", "Output": "{% $doesNotExist %}", "End": True})}, {})
    assert (r.status, r.error) == ("FAILED", "States.QueryEvaluationError")
    assert "'$doesNotExist' specified for the field 'Output' returned nothing (undefined)" in r.cause
    assert r.events == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]
    r = run({**JSONATA, **machine(S={"Type": "Pass", "Output": {"result": "{% $states.input.nope %}"}, "End": True})}, {})
    assert r.error == "States.QueryEvaluationError" and "for the field 'Output/result'" in r.cause
    # a real null is a value, not nothing
    r = run({**JSONATA, **machine(S={"Type": "Pass", "Output": {"a": "{% $states.input.x %}"}, "End": True})}, {"x": None})
    assert (r.status, r.output) == ("SUCCEEDED", {"a": None})


def test_jsonata_map_items_that_are_not_an_array():
    # LocalStack state_map/items/items.py (ItemsJSONata), written after its AWS snapshots
    d = {**JSONATA, **machine(M={"Type": "Map", "Items": "{% $states.input %}", "End": True,
                                 "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}})}
    r = run(d, {"a": 1})
    assert (r.status, r.error) == ("FAILED", "States.QueryEvaluationError")
    assert "Expected 'array', but was 'object'" in r.cause


def test_jsonata_range_with_one_item_is_that_item():
    # a one-item sequence is its item in JSONata (https://docs.jsonata.org/processing#sequences);
    # Step Functions' $range is documented to return an array "(sequence)" of the numbers
    d = {**JSONATA, **machine(S={"Type": "Pass", "Output": {"one": "{% $range(1, 9, 9) %}",
                                                            "many": "{% $range(1, 9, 4) %}"}, "End": True})}
    assert run(d, {}).output == {"one": 1, "many": [1, 5, 9]}


# ------------------------------------------------------------------ Fail: ErrorPath / CausePath intrinsics
def test_fail_error_path_and_cause_path_take_intrinsics():
    # LocalStack templates/base/statemachines/raise_failure_path_intrinsic.json5 (its test is AWS-validated);
    # the developer guide's Fail state (state-fail.html) shows CausePath with States.Format
    d = machine(FailState={"Type": "Fail", "ErrorPath": "States.Format('{}', $.Error)",
                           "CausePath": "States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)"})
    assert validate(d) == []
    r = run(d, {"Error": "MyError", "Cause": "bad input"})
    assert (r.status, r.error) == ("FAILED", "MyError")
    assert r.cause == "This is a custom error message for MyError, caused by bad input."


# ------------------------------------------------------------------ intrinsics
def _pass(**params):
    return run(machine(P={"Type": "Pass", "Parameters": params, "End": True}), {})


def test_intrinsics_round_as_aws_does():
    # https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html: "If you specify a
    # non-integer value … Step Functions will round it off to the nearest integer" (ArrayPartition,
    # ArrayRange, MathAdd); halves go up, as Java's Math.round (LocalStack math_add.py, _round_like_java)
    r = _pass(**{"add.$": "States.MathAdd(1.49, 1.5)", "parts.$": "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 2.5)",
                 "range.$": "States.ArrayRange(1.4, 5.6, 2)", "neg.$": "States.MathAdd(-1.5, 0)"})
    assert r.output == {"add": 3, "parts": [[1, 2, 3], [4, 5]], "range": [1, 3, 5], "neg": -1}


def test_string_to_json_of_an_empty_string_is_null():
    # LocalStack json_manipulation/string_to_json.py (its intrinsic tests are AWS-validated)
    assert _pass(**{"v.$": "States.StringToJson('')"}).output == {"v": None}


def test_math_random_end_is_exclusive():
    # intrinsic-functions.html: "a random number between the specified start number (inclusive) and
    # end number (exclusive)"
    outs = {_pass(**{"v.$": f"States.MathRandom(1, 2, {seed})"}).output["v"] for seed in range(20)}
    assert outs == {1}
    r = _pass(**{"v.$": "States.MathRandom(5, 5)"})
    assert (r.status, r.error) == ("FAILED", "States.Runtime")


def test_more_than_ten_nested_intrinsics_are_refused():
    # intrinsic-functions.html: "You can nest up to 10 intrinsic functions within a field"
    nested = "States.Array(" * 11 + "1" + ")" * 11
    problems = validate(machine(P={"Type": "Pass", "Parameters": {"v.$": nested}, "End": True}))
    assert len(problems) == 1 and "more than 10 nested" in problems[0]
    assert _pass(**{"v.$": "States.Array(" * 10 + "1" + ")" * 10}).status == "SUCCEEDED"


# ------------------------------------------------------------------ Wait SecondsPath must be an integer
@pytest.mark.parametrize("seconds,words", [(1.5, "cannot be parsed as a long value"), ("10", "cannot be parsed"),
                                           (-1, "references a negative value")])
def test_wait_seconds_path_must_be_a_whole_number(seconds, words):
    # state-wait.html: SecondsPath "You must specify an integer value for this field"; the error and its
    # words: LocalStack state_wait/wait_function/seconds_path.py
    r = run(machine(W={"Type": "Wait", "SecondsPath": "$.s", "End": True}), {"s": seconds})
    assert (r.status, r.error) == ("FAILED", "States.Runtime") and words in r.cause and "$.s ==" in r.cause


# ------------------------------------------------------------------ $$.State.RetryCount
def test_retry_count_is_in_the_context_of_retrying_states_only():
    # snapshot context_object/test_context_object.snapshot.json, test_input_path[$$] (recorded 11-09-2024):
    # a Pass state's $$.State is {Name, EnteredTime}; LocalStack sets RetryCount in Task/Parallel/Map only
    r = run(machine(P={"Type": "Pass", "InputPath": "$$.State", "End": True}), {})
    assert set(r.output) == {"Name", "EnteredTime"}
    calls = []

    def flaky(payload, ctx):
        calls.append(payload["n"])
        if len(calls) < 2:
            raise TaskFailed("Flaky", "once")
        return payload

    d = machine(T={"Type": "Task", "Resource": LAMBDA + "F", "Parameters": {"n.$": "$$.State.RetryCount"},
                   "Retry": [{"ErrorEquals": ["Flaky"]}], "End": True})
    r = run(d, {}, Resources().register("F", flaky))
    assert r.status == "SUCCEEDED" and calls == [0, 1]


# ------------------------------------------------------------------ 256 KiB payloads
BIG = "a" * (257 * 1024)


def _catching(first: list[str]) -> dict:
    return machine(InvokeLambda={"Type": "Task", "Resource": LAMBDA + "Big", "Next": "ProcessResult",
                                 "Catch": [{"ErrorEquals": first, "Next": "Handled"}]},
                   ProcessResult={"Type": "Pass", "End": True}, Handled={"Type": "Pass", "End": True})


@pytest.mark.parametrize("catch", [["States.DataLimitExceeded"], ["States.ALL"]])
def test_a_task_result_over_256_kib_is_caught(catch):
    # snapshot error_handling/test_states_errors.snapshot.json, test_task_lambda_data_limit_exceeded_on_large_utf8_response
    # and test_task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response (recorded 21-03-2024):
    # LambdaFunctionFailed States.DataLimitExceeded, then the Catch — States.ALL included
    r = run(_catching(catch), {}, Resources().register("Big", lambda p, c: BIG))
    assert r.status == "SUCCEEDED" and r.output["Error"] == "States.DataLimitExceeded"
    assert "returned a result with a size exceeding the maximum number of bytes service limit" in r.output["Cause"]
    assert "LambdaFunctionFailed" in r.events and r.events[-3:] == ["PassStateEntered", "PassStateExited",
                                                                     "ExecutionSucceeded"]


def test_a_state_output_over_256_kib_fails_the_execution_at_once():
    # snapshot error_handling/test_states_errors.snapshot.json, test_start_large_input:
    # ExecutionStarted, PassStateEntered, ExecutionFailed — no PassStateExited, no Catch
    r = run(machine(State_1={"Type": "Pass", "Result": {"Arg1": BIG}, "End": True}), {})
    assert (r.status, r.error) == ("FAILED", "States.DataLimitExceeded")
    assert r.cause == ("The state/task 'State_1' returned a result with a size exceeding the maximum number "
                       "of bytes service limit.")
    assert r.events == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


# ------------------------------------------------------------------ validation
def test_duplicate_state_names_across_branches_are_refused():
    # AWS's CreateStateMachine / ValidateStateMachineDefinition: DUPLICATE_STATE_NAME (state names are
    # unique in the whole state machine, branches and Map processors included)
    d = machine(P={"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
        {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}]})
    problems = validate(d)
    assert len(problems) == 1 and "DUPLICATE_STATE_NAME" in problems[0] and "'X'" in problems[0]


def test_one_typo_in_next_is_one_problem():
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(1, 9)}
    states["S9"] = {"Type": "Succeed"}
    states["Start"] = {"Type": "Pass", "Next": "S1x"}  # meant S1: S1…S9 are unreachable only because of it
    problems = validate({"StartAt": "Start", "States": states})
    assert problems == ["state 'Start': field 'Next' names 'S1x', which is not a state in this scope "
                        "(did you mean 'S1'?)"]


# ------------------------------------------------------------------ Catch on States.HeartbeatTimeout
def test_catch_on_heartbeat_timeout_takes_a_heartbeat_expiry():
    # Decided from the developer guide, concepts-error-handling.html: "States.HeartbeatTimeout — A Task
    # state failed to send a heartbeat for a period longer than the HeartbeatSeconds value. Note:
    # HeartbeatTimeout is only available inside the Catch and Retry fields." So a catcher naming it
    # takes the expiry; the error itself is States.Timeout, as AWS records it (LocalStack
    # timeouts/test_heartbeats.snapshot.json), so a catcher for States.Timeout takes it too.
    d = machine(Ask={"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                     "Parameters": {"FunctionName": "Ask", "Payload": {"token.$": "$$.Task.Token"}},
                     "HeartbeatSeconds": 5, "TimeoutSeconds": 60, "Next": "Done",
                     "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "NoHeartbeat"}]},
                NoHeartbeat={"Type": "Pass", "End": True}, Done={"Type": "Pass", "End": True})
    r = run(d, {}, Resources().register("Ask", lambda p, c: None))
    assert r.status == "SUCCEEDED" and r.output["Error"] == "States.Timeout" and "TaskTimedOut" in r.events
    assert r.events[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    # a task that runs past TimeoutSeconds (no heartbeat involved) is not a HeartbeatTimeout
    del d["States"]["Ask"]["HeartbeatSeconds"]
    d["States"]["Ask"]["TimeoutSeconds"] = 10
    r = run(d, {}, Resources().register("Ask", lambda p, c: None))
    assert (r.status, r.error) == ("FAILED", "States.Timeout")
