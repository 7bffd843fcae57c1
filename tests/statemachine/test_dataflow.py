"""Data flow cases from the AWS docs (InputPath/Parameters/ResultSelector/ResultPath/OutputPath)."""

from engines.statemachine import Resources
from tests.statemachine.helpers import LAMBDA, machine, run


def test_pass_result_path_and_output_path_from_the_docs():
    # AWS "ResultPath" example: a Pass result placed under $.taskresult of the input.
    d = machine(P={"Type": "Pass", "Result": "Hello, Step Functions!", "ResultPath": "$.taskresult", "End": True})
    r = run(d, {"comment": "This is a test"})
    assert r.output == {"comment": "This is a test", "taskresult": "Hello, Step Functions!"}
    assert r.events == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_inputpath_parameters_resultselector_resultpath_outputpath_in_order():
    res = Resources().register("Calc", lambda p, c: {"sum": p["a"] + p["b"], "noise": 1})
    d = machine(T={"Type": "Task", "Resource": LAMBDA + "Calc", "InputPath": "$.numbers",
                   "Parameters": {"a.$": "$.x", "b.$": "$.y", "exec.$": "$$.Execution.Name"},
                   "ResultSelector": {"total.$": "$.sum"}, "ResultPath": "$.result", "OutputPath": "$.result",
                   "End": True})
    r = run(d, {"numbers": {"x": 2, "y": 3}, "other": True}, res)
    assert r.status == "SUCCEEDED" and r.output == {"total": 5}
    assert r.events[1:-1] == ["TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                              "LambdaFunctionSucceeded", "TaskStateExited"]


def test_result_path_null_keeps_the_input_and_null_paths_give_empty_object():
    d = machine(A={"Type": "Pass", "Result": 1, "ResultPath": None, "Next": "B"},
                B={"Type": "Pass", "OutputPath": None, "End": True})
    assert run(d, {"k": "v"}).output == {}
    d2 = machine(A={"Type": "Pass", "Result": 1, "ResultPath": None, "End": True})
    assert run(d2, {"k": "v"}).output == {"k": "v"}


def test_definite_index_path_gives_the_value_not_a_list_as_aws_does():
    d = machine(P={"Type": "Pass", "Parameters": {"n.$": "$.items[0].name", "all.$": "$.items[*].name"}, "End": True})
    assert run(d, {"items": [{"name": "a"}, {"name": "b"}]}).output == {"n": "a", "all": ["a", "b"]}


def test_result_path_creates_nested_objects():
    d = machine(P={"Type": "Pass", "Result": 7, "ResultPath": "$.a.b.c", "End": True})
    assert run(d, {"a": {"x": 1}}).output == {"a": {"x": 1, "b": {"c": 7}}}


def test_missing_path_is_states_runtime_and_not_caught_by_states_all():
    d = machine(T={"Type": "Task", "Resource": LAMBDA + "F", "InputPath": "$.nope", "End": True,
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
                C={"Type": "Succeed"})
    r = run(d, {"a": 1}, Resources().register("F", lambda p, c: p))
    assert r.status == "FAILED" and r.error == "States.Runtime"


def test_context_object_and_variables():
    d = machine(A={"Type": "Pass", "Assign": {"greeting": "hi"}, "Next": "B"},
                B={"Type": "Pass", "Parameters": {"g.$": "$greeting", "state.$": "$$.State.Name",
                                                  "start.$": "$$.Execution.StartTime"}, "End": True})
    assert run(d, {}).output == {"g": "hi", "state": "B", "start": "2026-01-01T00:00:00.000Z"}
