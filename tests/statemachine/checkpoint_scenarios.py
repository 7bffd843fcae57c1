"""Executions stopped mid-flight, for the checkpoint-compatibility test.

`checkpoints_v1.json` holds the SQLite rows that the pre-split interpreter (one `Engine` class
with dict threads) wrote for each scenario at `stop_s`, and the history that interpreter went on
to write once a fresh engine resumed those rows and `drive` finished the run. The file is
data written once by that old code; the test replays it against today's engine.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Callable

from engines.clock import EPOCH
from engines.statemachine import Deferred, Engine, Resources, TaskContext, TaskFailed

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
TABLES = ("sfn_state_machines", "sfn_executions", "sfn_history", "sfn_tokens")


def _flaky(payload: Any, ctx: TaskContext) -> Any:
    if ctx.retry_count < 2:
        raise TaskFailed("Flaky", f"attempt {ctx.retry_count}")
    return {"ok": ctx.retry_count}


def resources() -> Resources:
    return (Resources()
            .register("Echo", lambda p, c: {"echo": p})
            .register("Ask", lambda p, c: {"asked": True})
            .register("Flaky", _flaky)
            .register("Slow", lambda p, c: Deferred(100, {"slow": p}))
            .register("Never", lambda p, c: Deferred(1000, {"late": True})))


def _ask(**extra: Any) -> dict:
    return {"Type": "Task", "Resource": CALLBACK, "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}},
            **extra}


SCENARIOS: dict[str, dict[str, Any]] = {
    "wait_then_callback": {"stop_s": [10 * 86400, 31 * 86400], "definition": {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": LAMBDA + "Echo", "ResultPath": "$.c", "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 2592000, "Next": "Approve"},
        "Approve": _ask(ResultPath="$.a", Next="Ship"),
        "Ship": {"Type": "Task", "Resource": LAMBDA + "Echo", "End": True}}}},
    "map_concurrency": {"stop_s": [15], "input": {"xs": [10, 20, 3, 40]}, "definition": {"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
              "ItemSelector": {"w.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
              "ItemProcessor": {"StartAt": "W", "States": {
                  "W": {"Type": "Wait", "SecondsPath": "$.w", "Next": "C"},
                  "C": {"Type": "Choice", "Choices": [{"Variable": "$.w", "NumericEquals": 3, "Next": "Bad"}],
                        "Default": "P"},
                  "Bad": {"Type": "Fail", "Error": "Three", "Cause": "no threes"},
                  "P": {"Type": "Pass", "Parameters": {"i.$": "$$.Map.Item.Index", "w.$": "$.w"}, "End": True}}},
              "ResultPath": "$.out", "End": True}}}},
    "map_callbacks": {"stop_s": [1], "input": [1, 2], "definition": {"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "A", "States": {"A": _ask(End=True)}}, "End": True}}}},
    "parallel": {"stop_s": [50], "definition": {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "Next": "E"},
                                        "E": {"Type": "Task", "Resource": LAMBDA + "Echo", "End": True}}},
            {"StartAt": "A", "States": {"A": _ask(End=True)}}]},
        "Done": {"Type": "Succeed"}}}},
    "retry": {"stop_s": [30, 100], "definition": {"StartAt": "F", "States": {
        "F": {"Type": "Task", "Resource": LAMBDA + "Flaky", "End": True,
              "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 60, "BackoffRate": 2, "MaxAttempts": 3}]}}}},
    "deferred_and_timeout": {"stop_s": [10, 130], "definition": {"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": LAMBDA + "Slow", "ResultPath": "$.s", "Next": "N"},
        "N": {"Type": "Task", "Resource": LAMBDA + "Never", "TimeoutSeconds": 50,
              "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.err", "Next": "Ok"}], "End": True},
        "Ok": {"Type": "Pass", "End": True}}}},
    "heartbeat": {"stop_s": [5], "definition": {"StartAt": "A", "States": {
        "A": _ask(HeartbeatSeconds=20, TimeoutSeconds=100, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "F"}], End=True),
        "F": {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.Cause"}}}},
    "jsonata_vars": {"stop_s": [50], "input": {"n": 2}, "definition": {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": "{% $states.input.n * 10 %}"}, "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 100, "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA + "Echo", "Arguments": {"x": "{% $x %}", "in": "{% $states.input %}"},
              "Output": "{% $states.result %}", "End": True}}}},
    "execution_timeout": {"stop_s": [10], "definition": {"TimeoutSeconds": 1000, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 5000, "End": True}}}},
}

ARN = "arn:aws:states:us-east-1:123456789012:execution:m:x"


def start(engine: Engine, scenario: dict[str, Any]) -> str:
    engine.create_state_machine("m", scenario["definition"])
    return engine.start_execution("m", scenario.get("input", {"order": 1}), name="x")


def stop_at(seconds: float) -> Any:
    return EPOCH + timedelta(seconds=seconds)


def drive(engine: Engine, arn: str, answer: Callable[[int], Any] = lambda n: {"answer": n}) -> None:
    """Run to the end: jump the clock, answer every waiting token in order, until nothing is left."""
    n = 0
    while True:
        engine.run_until_idle()
        tokens = engine.waiting_tokens(arn)
        if not tokens:
            return
        for token in tokens:
            n += 1
            engine.send_task_success(token, answer(n))


CLOCK_META = "statemachine.clock"
TOKEN_CHARS = frozenset("0123456789abcdef")


def dump_rows(engine: Engine) -> dict[str, Any]:
    """Every row of the engine's tables, and its saved virtual time, as JSON-ready data."""
    tables = {t: [dict(r) for r in engine.store.query(f"SELECT * FROM {t} ORDER BY rowid")] for t in TABLES}
    return {"tables": tables, "clock": engine.store.get_meta(CLOCK_META)}


def load_rows(engine: Engine, dump: dict[str, Any]) -> None:
    """Write dumped rows into a fresh engine's (empty) tables, as if an old process had left them."""
    with engine.store.transaction() as c:
        for table, rows in dump["tables"].items():
            for row in rows:
                cols = ", ".join(row)
                c.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
        c.execute("INSERT OR REPLACE INTO wc_meta (key, value) VALUES (?, ?)", (CLOCK_META, dump["clock"]))


def mask(value: Any) -> Any:
    """Task tokens are random: replace each (64 hex characters) by a placeholder."""
    if isinstance(value, str) and len(value) == 64 and set(value) <= TOKEN_CHARS:
        return "<token>"
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def outcome(engine: Engine, arn: str) -> dict[str, Any]:
    """What the run ended as: the execution's description and every history row (tokens masked)."""
    history = [{"id": h.id, "previous": h.previous_event_id, "timestamp": h.timestamp, "type": h.type, "state": h.state,
                "details": mask(h.details)} for h in engine.get_execution_history(arn)]
    return {"describe": mask(engine.describe_execution(arn)), "history": history}


def mask_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its JSON `details` parsed and every task token masked."""
    return {k: mask(json.loads(v)) if k == "details" else mask(v) for k, v in row.items()}
