"""Retry/Catch with their timing, error-name matching, Wait forms, task and execution timeouts."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH
from engines.statemachine import Deferred, Resources, TaskFailed
from engines.statemachine.errors import error_matches
from tests.statemachine.helpers import LAMBDA, machine, run


def flaky(times: int, error: str = "ServiceUnavailable"):
    calls = []

    def fn(payload, ctx):
        calls.append(ctx.now)
        if len(calls) <= times:
            raise TaskFailed(error, "503")
        return {"ok": len(calls)}
    return fn, calls


def test_default_retry_delays_1_2_4_then_success():
    fn, calls = flaky(3)
    d = machine(T={"Type": "Task", "Resource": LAMBDA + "F", "Retry": [{"ErrorEquals": ["ServiceUnavailable"]}], "End": True})
    r = run(d, {}, Resources().register("F", fn))
    assert r.status == "SUCCEEDED" and r.output == {"ok": 4}
    assert r.retry_delays == [1, 2, 4]
    assert [(c - EPOCH).total_seconds() for c in calls] == [0, 1, 3, 7]
    assert r.events.count("LambdaFunctionFailed") == 3 and r.events.count("TaskStateEntered") == 1


def test_interval_backoff_max_attempts_then_catch_with_result_path():
    fn, _ = flaky(99)
    d = machine(T={"Type": "Task", "Resource": LAMBDA + "F", "Next": "Done",
                   "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 2}],
                   "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handled"}]},
                Done={"Type": "Succeed"}, Handled={"Type": "Pass", "End": True})
    r = run(d, {"in": 1}, Resources().register("F", fn))
    assert r.retry_delays == [3, 6]
    assert r.output == {"in": 1, "err": {"Error": "ServiceUnavailable", "Cause": "503"}}
    assert r.events[-4:] == ["TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_max_delay_caps_the_backoff_and_non_matching_error_is_not_retried():
    fn, _ = flaky(4)
    d = machine(T={"Type": "Task", "Resource": LAMBDA + "F", "End": True,
                   "Retry": [{"ErrorEquals": ["ServiceUnavailable"], "MaxAttempts": 4, "MaxDelaySeconds": 3}]})
    assert run(d, {}, Resources().register("F", fn)).retry_delays == [1, 2, 3, 3]
    fn2, calls = flaky(1, "CardDeclined")
    r = run(d, {}, Resources().register("F", fn2))
    assert r.status == "FAILED" and r.error == "CardDeclined" and len(calls) == 1


def test_python_exception_becomes_lambda_style_error():
    class CardDeclined(Exception):
        pass

    def fn(p, c):
        raise CardDeclined("no")
    r = run(machine(T={"Type": "Task", "Resource": LAMBDA + "F", "End": True}), {}, Resources().register("F", fn))
    assert r.error == "CardDeclined" and '"errorType": "CardDeclined"' in r.cause


@pytest.mark.parametrize("equals,error,hit", [
    (["States.ALL"], "X", True), (["States.ALL"], "States.Runtime", False),
    (["States.TaskFailed"], "States.Timeout", False), (["States.TaskFailed"], "Boom", True),
    (["States.Timeout"], "States.Timeout", True), (["A", "B"], "B", True), (["A"], "B", False),
    # a task's DataLimitExceeded is caught by States.ALL in AWS's recording (LocalStack
    # tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json,
    # test_task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response); a state's own
    # oversized output stays terminal (tests/statemachine/test_fidelity.py)
    (["States.ALL"], "States.DataLimitExceeded", True),
])
def test_error_matching_rules(equals, error, hit):
    assert error_matches(equals, error) is hit


def test_wait_forms_on_the_virtual_clock():
    d = machine(A={"Type": "Wait", "Seconds": 2592000, "Next": "B"},
                B={"Type": "Wait", "SecondsPath": "$.s", "Next": "C"},
                C={"Type": "Wait", "TimestampPath": "$.ts", "Next": "D"},
                D={"Type": "Wait", "Timestamp": "2020-01-01T00:00:00Z", "End": True})
    r = run(d, {"s": 5, "ts": "2026-02-01T00:00:00Z"})
    assert r.status == "SUCCEEDED"
    assert r.engine.clock.now() == EPOCH + timedelta(days=31)
    waits = [e.data["wait_seconds"] for e in r.engine.recorder.events if e.kind == "WaitStateEntered"]
    assert waits == [2592000, 5, 86400 - 5, 0]


def test_stop_during_a_wait_aborts_without_catch():
    d = machine(W={"Type": "Wait", "Seconds": 100, "End": True})
    r = run(d, {}, until_idle=False)
    r.engine.run_until_idle(until=EPOCH + timedelta(seconds=10))
    r.engine.stop_execution(r.arn)
    r.engine.run_until_idle()
    from tests.statemachine.helpers import result
    r = result(r.engine, r.arn)
    assert r.status == "ABORTED"
    assert r.events == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]


def test_task_timeout_on_a_slow_task_and_execution_timeout():
    res = Resources().register("Slow", lambda p, c: Deferred(60, value=1))
    d = machine(T={"Type": "Task", "Resource": LAMBDA + "Slow", "TimeoutSeconds": 10, "End": True})
    r = run(d, {}, res)
    assert r.status == "FAILED" and r.error == "States.Timeout" and "LambdaFunctionTimedOut" in r.events
    assert r.engine.clock.now() == EPOCH + timedelta(seconds=10)
    d2 = {**machine(W={"Type": "Wait", "Seconds": 100, "End": True}), "TimeoutSeconds": 5}
    r2 = run(d2, {})
    assert r2.status == "TIMED_OUT" and r2.events[-1] == "ExecutionTimedOut"
