"""Executions stopped mid-flight, for the checkpoint-compatibility test.

`checkpoints_v1.json` holds the SQLite rows that the pre-split interpreter (one `Engine` class
with dict threads, schema 1) wrote for each scenario at `stop_s`, and the history that
interpreter went on to write once a fresh engine resumed those rows and `drive` finished the
run. The file is data written once by that old code; the test replays it against today's
engine, through the migration to schema 2 (`old_store` builds a schema-1 database from it).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from engines.clock import EPOCH
from engines.statemachine import Deferred, Engine, Resources, TaskContext, TaskFailed
from engines.statemachine.execution import Execution
from engines.statemachine.scopes import scopes
from engines.store import Store

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
TABLES = ("sfn_state_machines", "sfn_executions", "sfn_history", "sfn_tokens")

#: The tables of schema 1, as the first interpreter created them (engines/statemachine/tables.py then).
SCHEMA_1_DDL = """
CREATE TABLE sfn_state_machines (
    name TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE sfn_executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, state_machine TEXT NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,
    start TEXT NOT NULL, stop TEXT, runtime TEXT NOT NULL, next_event INTEGER NOT NULL
);
CREATE TABLE sfn_history (
    execution TEXT NOT NULL, id INTEGER NOT NULL, previous INTEGER NOT NULL, timestamp TEXT NOT NULL,
    type TEXT NOT NULL, state TEXT, details TEXT NOT NULL, PRIMARY KEY (execution, id)
);
CREATE TABLE sfn_tokens (
    token TEXT PRIMARY KEY, execution TEXT NOT NULL, thread TEXT NOT NULL, status TEXT NOT NULL, answer TEXT
);
"""


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


def old_store(dump: dict[str, Any], path: str | Path = ":memory:") -> Store:
    """A database as the first interpreter left it: schema 1's tables holding the dumped rows, version 1.

    An `Engine` opened on it migrates it to schema 2 first, as it would a file an old version wrote.
    """
    store = Store(path)
    with store.transaction() as c:
        for stmt in SCHEMA_1_DDL.split(";"):
            if stmt.strip():
                c.execute(stmt)
        for table, rows in dump["tables"].items():
            for row in rows:
                cols = ", ".join(row)
                c.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
        c.execute("INSERT OR REPLACE INTO wc_meta (key, value) VALUES (?, ?)", (CLOCK_META, dump["clock"]))
        c.execute("INSERT INTO wc_schema (engine, version) VALUES ('statemachine', 1)")
    return store


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


def stored_snapshot(engine: Engine, arn: str) -> dict[str, Any]:
    """The execution as its rows in the store say (read back, not the engine's memory), in the one-document form."""
    row, progress = engine.tables.execution(arn), engine.tables.progress(arn)
    assert row is not None and progress is not None
    definition = engine.tables.definition(row["state_machine"], row["version"])
    assert definition is not None
    ex = Execution.from_row(row, progress, engine.tables.threads(arn), definition, scopes(definition))
    return ex.snapshot()


def folded(document: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 `runtime` document as schema 2 keeps it: a joining parent's finished children are folded
    into its results (which the first interpreter already held) and are no longer live threads; the
    parent's `children` still names them (their rows keep those results until it joins)."""
    threads = document["threads"]

    def finished_child(th: dict[str, Any]) -> bool:
        parent = threads.get(th["parent"])
        return th["status"] != "active" and parent is not None and parent["status"] == "active" \
            and parent["phase"] == "join"

    return {**document, "threads": {tid: th for tid, th in threads.items() if not finished_child(th)}}
