"""The Step Functions API actions not covered elsewhere: ListExecutions, SendTaskHeartbeat's errors."""

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine, ExecutionStatus, Resources, TaskTokenError
from tests.statemachine.helpers import machine

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def _engine() -> Engine:
    engine = Engine(":memory:", VirtualClock(EPOCH), Resources().register("Ask", lambda p, c: None))
    engine.create_state_machine("m", machine(
        A={"Type": "Task", "Resource": CALLBACK, "TimeoutSeconds": 100,
           "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}}, "End": True}))
    return engine


def test_list_executions_filters_by_status():
    engine = _engine()
    a = engine.start_execution("m", name="a")
    b = engine.start_execution("m", name="b")
    engine.stop_execution(b)
    everything = engine.list_executions()
    assert [(e["name"], e["status"], e["version"]) for e in everything] == [("a", "RUNNING", 1), ("b", "ABORTED", 1)]
    assert [e["executionArn"] for e in engine.list_executions(ExecutionStatus.RUNNING)] == [a]
    assert [e["executionArn"] for e in engine.list_executions("ABORTED")] == [b]


def test_heartbeat_without_heartbeat_seconds_changes_nothing_and_bad_tokens_are_refused():
    engine = _engine()
    arn = engine.start_execution("m", name="a")
    [token] = engine.waiting_tokens(arn)
    engine.send_task_heartbeat(token)  # no HeartbeatSeconds: only TimeoutSeconds counts
    engine.run_until_idle()
    d = engine.describe_execution(arn)
    assert d["status"] == "FAILED" and d["error"] == "States.Timeout" and d["stopDate"] == "2026-01-01T00:01:40.000Z"
    with pytest.raises(TaskTokenError, match="closed"):
        engine.send_task_heartbeat(token)
    with pytest.raises(TaskTokenError, match="no task is waiting"):
        engine.send_task_heartbeat("0" * 64)
