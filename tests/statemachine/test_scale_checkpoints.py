"""Checkpoints that write what changed (schema 2): the store always says what the engine holds,
a kill at any commit resumes to the same history and output, a Map's cost per item stays flat
(finished iterations are folded into the parent and leave the live state), and schema-1 files
migrate.

The kill is simulated in-process: the store's k-th transaction raises `Killed` (a BaseException,
as a SIGKILL is not catchable) before it commits, so that transaction rolls back and nothing
after it runs; a new Engine then opens the same store, as a restarted process opens the file.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine, Resources, TaskFailed, TaskTokenError
from engines.statemachine.tables import SCHEMA_VERSION
from engines.store import Store
from tests.statemachine import checkpoint_scenarios as cs
from tests.statemachine.helpers import LAMBDA

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


class Killed(BaseException):
    """The process dies here (before the transaction being opened commits)."""


def _resources() -> Resources:
    def check(p: Any, ctx: Any) -> Any:
        if isinstance(p, dict) and p.get("v", 0) % 5 == 3:
            raise TaskFailed("Bad", f"item {p['v']}")
        return {"ok": p}
    return (Resources().register("Check", check)
            .register("Ask", lambda p, c: {"asked": True}))


def _map(processor: dict, **extra: Any) -> dict:
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs", "ResultPath": "$.out",
                                             "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                                             "ItemProcessor": processor, "End": True, **extra}}}


WAIT_PASS = {"StartAt": "W", "States": {
    "W": {"Type": "Wait", "SecondsPath": "$.v", "Next": "P"},
    "P": {"Type": "Pass", "Parameters": {"double.$": "States.MathAdd($.v, $.v)"}, "End": True}}}
# the same, with its own state names: names are unique in a whole state machine (AWS: DUPLICATE_STATE_NAME)
WAIT_PASS_2 = {"StartAt": "W2", "States": {
    "W2": {"Type": "Wait", "SecondsPath": "$.v", "Next": "P2"},
    "P2": {"Type": "Pass", "Parameters": {"double.$": "States.MathAdd($.v, $.v)"}, "End": True}}}
FAIL_ON_MULTIPLES_OF_4 = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 0, "Next": "Bad"},
                                        {"Variable": "$.v", "NumericEquals": 4, "Next": "Bad"},
                                        {"Variable": "$.v", "NumericEquals": 8, "Next": "Bad"}], "Default": "W"},
    "W": {"Type": "Wait", "Seconds": 7, "Next": "P"},
    "Bad": {"Type": "Fail", "Error": "Four", "Cause": "a multiple of four"},
    "P": {"Type": "Pass", "End": True}}}
TASK_WITH_CATCH = {"StartAt": "T", "States": {
    "T": {"Type": "Task", "Resource": LAMBDA + "Check", "ResultPath": "$.r", "Next": "W",
          "Catch": [{"ErrorEquals": ["Bad"], "ResultPath": "$.err", "Next": "Caught"}]},
    "W": {"Type": "Wait", "Seconds": 3, "End": True},
    "Caught": {"Type": "Pass", "Result": "caught", "End": True}}}
CALLBACK_ITEMS = {"StartAt": "A", "States": {
    "A": {"Type": "Task", "Resource": CALLBACK, "ResultPath": "$.a", "End": True,
          "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}}}}}

SCENARIOS: dict[str, tuple[dict, Any]] = {
    "map-40-items": (_map(WAIT_PASS), {"xs": [i % 7 for i in range(40)]}),
    "map-max-concurrency-3": (_map(WAIT_PASS, MaxConcurrency=3), {"xs": [5, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]}),
    "map-tolerated-count": (_map(FAIL_ON_MULTIPLES_OF_4, ToleratedFailureCount=3, MaxConcurrency=4),
                            {"xs": list(range(12))}),
    "map-tolerated-percentage-exceeded-then-caught": ({"StartAt": "M", "States": {
        "M": {**_map(FAIL_ON_MULTIPLES_OF_4, ToleratedFailurePercentage=10)["States"]["M"], "End": False,
              "Next": "Done", "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}}, {"xs": list(range(10))}),
    "map-task-catch-inside": (_map(TASK_WITH_CATCH, MaxConcurrency=5), {"xs": list(range(15))}),
    "parallel-of-maps": ({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "M1", "States": {"M1": _map(WAIT_PASS)["States"]["M"]}},
        {"StartAt": "M2", "States": {"M2": _map(WAIT_PASS_2, MaxConcurrency=2)["States"]["M"]}},
        {"StartAt": "X", "States": {"X": {"Type": "Wait", "Seconds": 4, "End": True}}}]}}},
        {"xs": [3, 1, 2, 0, 5, 4]}),
    "map-callbacks": (_map(CALLBACK_ITEMS, MaxConcurrency=2), {"xs": [1, 2, 3, 4, 5]}),
}
#: Transactions 1-3 create the tables, the state machine and the execution (killed there, it never started).
FIRST_KILL = 4
TASK_EVENTS = {"TaskScheduled", "TaskStarted", "TaskSubmitted", "LambdaFunctionScheduled", "LambdaFunctionStarted"}


@contextmanager
def _killing(store: Store, at: int) -> Iterator[dict[str, int]]:
    """Make the store's `at`-th outermost transaction (counting from 1) raise Killed before it commits."""
    orig = store.transaction
    seen = {"n": 0}

    @contextmanager
    def transaction() -> Iterator[Any]:
        if not store._depth:  # an outermost transaction (a nested one commits with it)
            seen["n"] += 1
            if seen["n"] == at:
                raise Killed
        with orig() as conn:
            yield conn

    store.transaction = transaction  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        store.transaction = orig  # type: ignore[method-assign]


def _finish(engine: Engine, arn: str) -> None:
    cs.drive(engine, arn, answer=lambda n: {"answer": "yes"})


def _start(engine: Engine, definition: dict, data: Any) -> str:
    engine.create_state_machine("m", definition)
    arn = engine.start_execution("m", data, name="x")
    _finish(engine, arn)
    return arn


def _reference(definition: dict, data: Any) -> tuple[dict[str, Any], int]:
    """The run without a kill: its outcome, and how many transactions it took."""
    store = Store()
    with _killing(store, at=-1) as seen:
        engine = Engine(store, VirtualClock(EPOCH), _resources())
        arn = _start(engine, definition, data)
    return cs.outcome(engine, arn), seen["n"]


def _comparable(outcome: dict[str, Any], *, tasks: bool) -> tuple[Any, list[tuple]]:
    """The description and the history without event ids; a task re-run after a kill writes its
    Scheduled/Started again (at-least-once, as in AWS), so with tasks those are left out."""
    history = [(h["type"], h["state"], h["timestamp"], json.dumps(h["details"], sort_keys=True))
               for h in outcome["history"] if not (tasks and h["type"] in TASK_EVENTS)]
    return outcome["describe"], history


def _killed_and_resumed(definition: dict, data: Any, at: int) -> dict[str, Any]:
    store = Store()
    with _killing(store, at):
        try:
            engine = Engine(store, VirtualClock(EPOCH), _resources())
            _start(engine, definition, data)
            raise AssertionError(f"transaction {at} never came")
        except Killed:
            pass
    again = Engine(store, VirtualClock(EPOCH), _resources())  # the restarted process, on the same file
    again.resume()
    _finish(again, cs.ARN)
    return cs.outcome(again, cs.ARN)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_kill_before_any_commit_resumes_to_the_same_history_and_output(name):
    definition, data = SCENARIOS[name]
    reference, transactions = _reference(definition, data)
    assert reference["describe"]["status"] in ("SUCCEEDED", "FAILED")
    tasks = any(t in json.dumps(definition) for t in (LAMBDA, CALLBACK))
    want = _comparable(reference, tasks=tasks)
    for at in range(FIRST_KILL, transactions + 1):
        got = _comparable(_killed_and_resumed(definition, data, at), tasks=tasks)
        assert got == want, f"killed before transaction {at} of {transactions}"


def _check_store_matches_memory(engine: Engine) -> list[int]:
    """After every checkpoint, the rows read back must be the execution the engine holds; returns the
    number of live threads seen at each checkpoint."""
    tables, orig = engine.tables, engine.tables.checkpoint
    sizes: list[int] = []

    def checkpoint(arn: str, *args: Any, **kw: Any) -> None:
        orig(arn, *args, **kw)
        ex = engine._run.executions.get(arn)
        if ex is not None:
            assert cs.stored_snapshot(engine, arn) == ex.snapshot()
            sizes.append(len(ex.threads))

    tables.checkpoint = checkpoint  # type: ignore[method-assign]
    return sizes


processors = st.sampled_from([WAIT_PASS, FAIL_ON_MULTIPLES_OF_4, TASK_WITH_CATCH, CALLBACK_ITEMS])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(processor=processors, items=st.lists(st.integers(0, 9), max_size=25), limit=st.integers(0, 4),
       tolerated=st.one_of(st.none(), st.integers(0, 5)), pct=st.one_of(st.none(), st.integers(0, 100)),
       catch=st.booleans())
def test_after_every_checkpoint_the_store_holds_exactly_the_live_execution(processor, items, limit, tolerated, pct,
                                                                          catch):
    extra: dict[str, Any] = {"MaxConcurrency": limit}
    if tolerated is not None:
        extra["ToleratedFailureCount"] = tolerated
    if pct is not None:
        extra["ToleratedFailurePercentage"] = pct
    if catch:
        extra["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}]
    definition = _map(processor, **extra)
    if catch:
        definition["States"]["M"]["End"] = False
        definition["States"]["M"]["Next"] = "Done"
        definition["States"]["Done"] = {"Type": "Pass", "End": True}
    engine = Engine(":memory:", VirtualClock(EPOCH), _resources())
    sizes = _check_store_matches_memory(engine)
    _start(engine, definition, {"xs": items})
    assert engine.describe_execution(cs.ARN)["status"] in ("SUCCEEDED", "FAILED")
    if limit:  # finished iterations leave: the live threads are the parent and at most `limit` items
        assert max(sizes) <= 1 + limit
    assert [n for n, _, _ in engine.tables.threads(cs.ARN)] == [1]  # the Map is over: only the top thread is left


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SCENARIOS)), data=st.data())
def test_two_kills_in_a_row_still_resume_to_the_same_outcome(name, data):
    definition, data_in = SCENARIOS[name]
    reference, transactions = _reference(definition, data_in)
    tasks = any(t in json.dumps(definition) for t in (LAMBDA, CALLBACK))
    first = data.draw(st.integers(FIRST_KILL, transactions), label="first kill")
    second = data.draw(st.integers(1, max(1, transactions // 2)), label="second kill (counted after the restart)")
    store = Store()
    with _killing(store, first):
        with pytest.raises(Killed):
            _start(Engine(store, VirtualClock(EPOCH), _resources()), definition, data_in)
    with _killing(store, second):
        try:
            engine = Engine(store, VirtualClock(EPOCH), _resources())
            engine.resume()
            _finish(engine, cs.ARN)
        except Killed:
            pass
    last = Engine(store, VirtualClock(EPOCH), _resources())
    last.resume()
    _finish(last, cs.ARN)
    assert _comparable(cs.outcome(last, cs.ARN), tasks=tasks) == _comparable(reference, tasks=tasks)


def _parent_writes(n_items: int, limit: int) -> tuple[int, int]:
    """How often a Map of `n_items` rewrites its parent's row, and how many thread rows it writes in all."""
    engine = Engine(":memory:", VirtualClock(EPOCH), _resources())
    tables, orig = engine.tables, engine.tables.checkpoint
    counts = {"parent": 0, "rows": 0}

    def checkpoint(arn: str, progress: Any, ended: Any, events: Any, clock: str, threads: Any = None) -> None:
        if threads is not None:
            counts["parent"] += sum(1 for row in threads.rows if row[1] == 1)
            counts["rows"] += len(threads.rows)
        orig(arn, progress, ended, events, clock, threads)

    tables.checkpoint = checkpoint  # type: ignore[method-assign]
    extra = {"MaxConcurrency": limit} if limit else {}
    _start(engine, _map({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, **extra),
           {"xs": list(range(n_items))})
    assert engine.describe_execution(cs.ARN)["status"] == "SUCCEEDED"
    return counts["parent"], counts["rows"]


@pytest.mark.parametrize("limit", [0, 7])
def test_a_map_item_writes_the_same_rows_however_many_items_there_are(limit):
    """The cost per item is flat: ten times the items write ten times the rows, and the parent's row
    (which holds the Map's input) is not rewritten as items come back."""
    # both above the inline Map's 40 iterations at once, so both start their items in several rounds
    parent_small, rows_small = _parent_writes(45, limit)
    parent_big, rows_big = _parent_writes(450, limit)
    assert parent_big == parent_small <= 6  # a handful (start, all items started, join, end), not one per item
    assert rows_big <= 10 * rows_small  # a fixed number of rows per item


def test_the_schema_1_file_of_an_old_version_migrates_and_resumes(tmp_path: Path):
    fixture = json.loads((Path(__file__).with_name("checkpoints_v1.json")).read_text())
    case = fixture["map_concurrency@15"]
    path = tmp_path / "old.db"
    cs.old_store(case["rows"], path).close()
    engine = Engine(path, VirtualClock(EPOCH), cs.resources())
    assert engine.store.schema_version("statemachine") == SCHEMA_VERSION == 2
    columns = [r[1] for r in engine.store.query("PRAGMA table_info(sfn_executions)")]
    assert "runtime" not in columns and "next_event" not in columns
    assert [r[0] for r in engine.store.query("SELECT n FROM sfn_threads ORDER BY n")] == [1, 2, 3, 4, 5]
    assert engine.resume() == [cs.ARN]
    cs.drive(engine, cs.ARN)
    got = cs.outcome(engine, cs.ARN)
    assert got["describe"] == case["expected"]["describe"]
    last = max(r["id"] for r in case["rows"]["tables"]["sfn_history"])
    assert [h for h in got["history"] if h["id"] > last] == case["expected"]["history"]
    engine.store.close()
    again = Engine(path, VirtualClock(EPOCH), cs.resources())  # opening a migrated file again changes nothing
    assert again.store.schema_version("statemachine") == 2
    assert cs.outcome(again, cs.ARN) == got
    assert [n for n, _, _ in again.tables.threads(cs.ARN)] == [1]  # the Map joined: only the top thread is left


def test_a_callback_task_whose_callable_raises_closes_its_token():
    """As in AWS: the task fails, and its token no longer takes an answer (it is not left 'waiting')."""
    calls: list[str] = []

    def ask(p: Any, ctx: Any) -> Any:
        calls.append(ctx.token)
        raise TaskFailed("Down", "the approver is down")

    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": CALLBACK, "Parameters": {"FunctionName": "Ask", "Payload": {}}, "End": True,
              "Retry": [{"ErrorEquals": ["Down"], "IntervalSeconds": 60, "MaxAttempts": 1}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Later"}]},
        "Later": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    engine = Engine(":memory:", VirtualClock(EPOCH), Resources().register("Ask", ask))
    engine.create_state_machine("m", definition)
    arn = engine.start_execution("m", {}, name="x")
    first = calls[0]
    assert engine.tables.token(first)["status"] == "closed"  # during the retry's back-off, not "waiting"
    with pytest.raises(TaskTokenError, match="closed"):
        engine.send_task_success(first, {"late": True})
    engine.run_until_idle(until=EPOCH.replace(minute=5))
    assert len(calls) == 2 and engine.tables.token(calls[1])["status"] == "closed"  # caught: in Wait now
    assert engine.describe_execution(arn)["status"] == "RUNNING" and engine.waiting_tokens(arn) == []
    with pytest.raises(TaskTokenError):
        engine.send_task_failure(calls[1], "Late", "too late")
    engine.run_until_idle()
    assert engine.describe_execution(arn)["status"] == "SUCCEEDED"
