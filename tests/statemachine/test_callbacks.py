"""The callback pattern: $$.Task.Token, send_task_success/failure/heartbeat, timeouts."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH
from engines.statemachine import Resources, TaskTokenError
from tests.statemachine.helpers import machine, result, run

WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def callback_machine(**extra) -> dict:
    return machine(T={"Type": "Task", "Resource": WAIT, "Parameters": {"FunctionName": "Approver",
                      "Payload": {"token.$": "$$.Task.Token", "who.$": "$.who"}}, "End": True, **extra})


def started(**extra):
    seen = []
    res = Resources().register("Approver", lambda p, c: seen.append(p) or {"queued": True})
    r = run(callback_machine(**extra), {"who": "ada"}, res, until_idle=False)
    return r, seen


def test_success_answers_the_token_found_in_the_payload():
    r, seen = started()
    assert seen[0]["who"] == "ada" and seen[0]["token"] == r.engine.waiting_tokens(r.arn)[0]
    r.engine.clock.advance(timedelta(days=3))
    r.engine.send_task_success(seen[0]["token"], {"approved": True})
    r = result(r.engine, r.arn)
    assert r.status == "SUCCEEDED" and r.output == {"approved": True}
    assert r.events == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                        "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    with pytest.raises(TaskTokenError):
        r.engine.send_task_success(seen[0]["token"], {})


def test_failure_goes_to_catch():
    d = callback_machine(Catch=[{"ErrorEquals": ["Rejected"], "Next": "No"}])
    d["States"]["No"] = {"Type": "Pass", "End": True}
    del d["States"]["T"]["End"]
    d["States"]["T"]["Next"] = "No"
    seen2 = []
    res = Resources().register("Approver", lambda p, c: seen2.append(p))
    r2 = run(d, {"who": "x"}, res, until_idle=False)
    r2.engine.send_task_failure(seen2[0]["token"], "Rejected", "no way")
    out = result(r2.engine, r2.arn)
    assert out.status == "SUCCEEDED" and out.output == {"Error": "Rejected", "Cause": "no way"}
    assert "TaskFailed" in out.events


def test_timeout_when_nobody_answers():
    r, _ = started(TimeoutSeconds=2592000)
    r.engine.run_until_idle()
    r = result(r.engine, r.arn)
    assert r.status == "FAILED" and r.error == "States.Timeout" and r.events[-2] == "TaskTimedOut"
    assert r.engine.clock.now() == EPOCH + timedelta(days=30)


def test_heartbeat_keeps_it_alive_then_expiry_is_states_timeout():
    r, seen = started(TimeoutSeconds=1000, HeartbeatSeconds=100)
    token = seen[0]["token"]
    r.engine.run_until_idle(until=EPOCH + timedelta(seconds=90))
    r.engine.send_task_heartbeat(token)
    r.engine.run_until_idle(until=EPOCH + timedelta(seconds=180))
    assert result(r.engine, r.arn).status == "RUNNING"
    r.engine.run_until_idle()
    out = result(r.engine, r.arn)
    assert out.status == "FAILED" and out.error == "States.Timeout"
    assert r.engine.clock.now() == EPOCH + timedelta(seconds=190)


def test_stop_kills_the_token_and_runs_no_catch():
    r, seen = started(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "T"}])
    r.engine.stop_execution(r.arn)
    assert result(r.engine, r.arn).events[-1] == "ExecutionAborted"
    with pytest.raises(TaskTokenError):
        r.engine.send_task_success(seen[0]["token"], {})
