"""Parallel, Map (concurrency, tolerated failures, Catch) and JSONata mode."""

from engines.statemachine import Resources, TaskFailed
from tests.statemachine.helpers import LAMBDA, machine, run


def test_parallel_outputs_an_array_in_branch_order_with_result_selector():
    d = machine(P={"Type": "Parallel", "End": True, "ResultSelector": {"first.$": "$[0]", "second.$": "$[1].v"},
                   "Branches": [
                       {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "Next": "A"},
                                                   "A": {"Type": "Pass", "Result": "slow", "End": True}}},
                       {"StartAt": "B", "States": {"B": {"Type": "Pass", "Parameters": {"v.$": "$.x"}, "End": True}}}]})
    r = run(d, {"x": 42})
    assert r.status == "SUCCEEDED" and r.output == {"first": "slow", "second": 42}
    assert r.events[:3] == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"]
    assert r.events[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]


def test_parallel_branch_failure_is_caught_and_siblings_are_aborted():
    d = machine(P={"Type": "Parallel", "Next": "Done", "Catch": [{"ErrorEquals": ["Boom"], "Next": "Caught"}],
                   "Branches": [
                       {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1000, "End": True}}},
                       {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "b"}}}]},
                Done={"Type": "Succeed"}, Caught={"Type": "Pass", "End": True})
    r = run(d, {})
    assert r.status == "SUCCEEDED" and r.output == {"Error": "Boom", "Cause": "b"}
    assert "ParallelStateFailed" in r.events and "WaitStateExited" not in r.events


def test_map_with_item_selector_context_and_max_concurrency():
    seen = []
    res = Resources().register("Sq", lambda p, c: seen.append(p["i"]) or p["v"] * p["v"])
    d = machine(M={"Type": "Map", "ItemsPath": "$.nums", "MaxConcurrency": 1, "End": True,
                   "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                   "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T",
                                     "States": {"T": {"Type": "Task", "Resource": LAMBDA + "Sq", "End": True}}}})
    r = run(d, {"nums": [1, 2, 3]}, res)
    assert r.output == [1, 4, 9] and seen == [0, 1, 2]
    assert r.events.count("MapIterationStarted") == 3 and r.events.count("MapIterationSucceeded") == 3
    assert r.events[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


def test_map_tolerated_failures_and_threshold():
    def fn(p, c):
        if p % 2:
            raise TaskFailed("Odd", str(p))
        return p
    proc = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA + "F", "End": True}}}
    ok = run(machine(M={"Type": "Map", "Iterator": proc, "ToleratedFailureCount": 2, "End": True}), [0, 1, 2, 3],
             Resources().register("F", fn))
    assert ok.status == "SUCCEEDED" and ok.output[0] == 0 and ok.output[1] == {"Error": "Odd", "Cause": "1"}
    bad = run(machine(M={"Type": "Map", "Iterator": proc, "ToleratedFailureCount": 1, "End": True}), [1, 3, 5],
              Resources().register("F", fn))
    assert bad.status == "FAILED" and bad.error == "States.ExceedToleratedFailureThreshold"
    plain = run(machine(M={"Type": "Map", "Iterator": proc, "End": True}), [2, 3], Resources().register("F", fn))
    assert plain.error == "Odd" and "MapIterationFailed" in plain.events


def test_jsonata_pass_choice_task_and_assign():
    res = Resources().register("Double", lambda p, c: {"v": p["n"] * 2})
    d = {"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"limit": 10}, "Output": {"n": "{% $states.input.n + 1 %}"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA + "Double", "Arguments": {"n": "{% $states.input.n %}"},
              "Output": "{% $states.result.v %}", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input > $limit %}", "Next": "Big"}], "Default": "Small"},
        "Big": {"Type": "Pass", "Output": {"big": "{% $states.input %}", "u": "{% $length($uuid()) %}"}, "End": True},
        "Small": {"Type": "Succeed"}}}
    r = run(d, {"n": 5}, res)
    assert r.status == "SUCCEEDED" and r.output == {"big": 12, "u": 36}


def test_jsonata_catch_error_output_and_query_evaluation_error():
    def fn(p, c):
        raise TaskFailed("Nope", "because")
    d = {"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA + "F", "Next": "X",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Output": {"e": "{% $states.errorOutput.Error %}"}, "Next": "X"}]},
        "X": {"Type": "Pass", "End": True}}}
    assert run(d, {}, Resources().register("F", fn)).output == {"e": "Nope"}
    bad = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% $number('x') %}", "End": True}}}
    r = run(bad, {})
    assert r.status == "FAILED" and r.error == "States.QueryEvaluationError"
