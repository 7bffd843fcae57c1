"""Local activities (Temporal's `execute_local_activity`): run inline by the worker holding the
workflow task, recorded as MarkerRecorded("LocalActivity"), handed back on replay."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.replay import (
    ActivityError,
    ApplicationError,
    Client,
    RetryPolicy,
    Server,
    Worker,
    WorkerCrashed,
    activity,
    workflow,
)

CALLS: list[dict] = []


@activity.defn(name="Charge")
def charge(order):
    info = activity.info()
    CALLS.append({"type": "Charge", "attempt": info.attempt, "key": info.idempotency_key, "at": info.current_time})
    return {"charged": order["amount_cents"]}


@activity.defn(name="Ship")
def ship(order):
    CALLS.append({"type": "Ship", "key": activity.info().idempotency_key})
    return {"shipped": 1}


@activity.defn(name="Flaky")
def flaky(succeed_on):
    info = activity.info()
    CALLS.append({"type": "Flaky", "attempt": info.attempt, "at": info.current_time, "key": info.idempotency_key})
    if info.attempt < succeed_on:
        raise ApplicationError(f"attempt {info.attempt} is too early", type="NotYet")
    return {"attempt": info.attempt}


@activity.defn(name="Declined")
def declined():
    CALLS.append({"type": "Declined"})
    raise ApplicationError("card declined", type="CardDeclined", non_retryable=True)


@workflow.defn(name="local-order")
async def local_order(ctx, order):
    charged = await ctx.local_activity(charge, order, activity_id="charge")
    ctx.set_query_handler("charged", lambda: charged)
    await ctx.sleep(timedelta(hours=1))
    shipped = await ctx.local_activity(ship, order)
    return {**charged, **shipped}


@workflow.defn(name="remote-order")  # the same workflow after a deploy that turned charge into a normal activity
async def remote_order(ctx, order):
    charged = await ctx.activity(charge, order, activity_id="charge")
    await ctx.sleep(timedelta(hours=1))
    shipped = await ctx.local_activity(ship, order)
    return {**charged, **shipped}


@workflow.defn(name="retrying")
async def retrying(ctx, succeed_on, attempts):
    policy = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_attempts=attempts)
    return await ctx.local_activity(flaky, succeed_on, activity_id="flaky", retry=policy)


@workflow.defn(name="declining")
async def declining(ctx):
    try:
        await ctx.local_activity(declined, retry=RetryPolicy(maximum_attempts=5))
    except ActivityError as exc:
        return {"caught": exc.cause.type, "attempt": exc.attempt, "activity": exc.activity_type}
    return "not reached"


ORDER = {"order_id": "1001", "amount_cents": 4200}
FLOWS = [local_order, remote_order, retrying, declining]
ACTS = [charge, ship, flaky, declined]


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def _server(db=":memory:"):
    return Server(db, VirtualClock(EPOCH))


def _markers(client, wid):
    return [e for e in client.history(wid) if e.event_type == "MarkerRecorded"]


def test_result_is_a_marker_and_a_new_worker_replays_it_without_running_it_again(tmp_path):
    db = tmp_path / "r.db"
    server = _server(db)
    client = Client(server, FLOWS)
    client.start(local_order, ORDER, id="order-1001")
    # the worker dies right after the workflow task with the Charge marker committed
    w1 = Worker(server, workflows=FLOWS, activities=ACTS, skip_time=True, crash_at="workflow-task-completed:local-order")
    with pytest.raises(WorkerCrashed):
        w1.run()
    assert [c["type"] for c in CALLS] == ["Charge"]
    (marker,) = _markers(client, "order-1001")
    assert marker.attributes == {"marker_name": "LocalActivity", "activity_id": "charge", "activity_type": "Charge",
                                 "attempt": 1, "result": {"charged": 4200}}
    server.close()

    server2 = _server(db)  # a new process's view of the same file
    client2 = Client(server2, FLOWS)
    assert client2.query("order-1001", "charged") == {"charged": 4200}  # queries replay the marker too
    w2 = Worker(server2, workflows=FLOWS, activities=ACTS, skip_time=True)
    w2.run()
    d = client2.describe("order-1001")
    assert d.status == "Completed" and d.result == {"charged": 4200, "shipped": 1}
    assert [c["type"] for c in CALLS] == ["Charge", "Ship"]  # Charge ran once across the crash
    assert w2.stats.replayed_events > 0 and w2.stats.local_activities == 1
    types = [e.event_type for e in client2.history("order-1001")]
    assert not any(t.startswith("ActivityTask") for t in types)
    assert [m.attributes["activity_type"] for m in _markers(client2, "order-1001")] == ["Charge", "Ship"]
    # each marker is followed by the new workflow task that continues the code
    i = types.index("MarkerRecorded")
    assert types[i + 1:i + 3] == ["WorkflowTaskScheduled", "WorkflowTaskStarted"]


def test_a_crash_before_the_marker_commits_runs_the_function_again_with_the_same_key(tmp_path):
    db = tmp_path / "r.db"
    server = _server(db)
    client = Client(server, FLOWS)
    client.start(local_order, ORDER, id="order-1001")
    with pytest.raises(WorkerCrashed):
        Worker(server, workflows=FLOWS, activities=ACTS, skip_time=True, crash_after_effect="Charge").run()
    assert _markers(client, "order-1001") == []  # nothing was recorded
    Worker(_server(db), workflows=FLOWS, activities=ACTS, skip_time=True).run()
    assert client.describe("order-1001").status == "Completed"
    charges = [c for c in CALLS if c["type"] == "Charge"]
    assert len(charges) == 2  # at least once, like a DBOS step
    assert {c["key"] for c in charges} == {"order-1001-charge"}
    assert [c["attempt"] for c in charges] == [1, 1]


def test_retries_follow_the_policy_gaps_on_virtual_time():
    server = _server()
    client = Client(server, FLOWS)
    client.start(retrying, 4, 5, id="r")
    Worker(server, workflows=FLOWS, activities=ACTS, skip_time=True).run()
    assert client.describe("r").result == {"attempt": 4}
    times = [c["at"] for c in CALLS]
    assert [(b - a).total_seconds() for a, b in zip(times, times[1:])] == [1.0, 2.0, 4.0]
    assert [c["attempt"] for c in CALLS] == [1, 2, 3, 4]
    assert {c["key"] for c in CALLS} == {"r-flaky"}
    history = client.history("r")
    markers = [e.attributes for e in history if e.event_type == "MarkerRecorded"]
    assert [m["attempt"] for m in markers] == [1, 2, 3, 4]
    assert [m.get("backoff_seconds") for m in markers] == [1.0, 2.0, 4.0, None]
    assert [e.attributes["duration_seconds"] for e in history if e.event_type == "TimerStarted"] == [1.0, 2.0, 4.0]


def test_the_last_attempt_failing_raises_activity_error():
    server = _server()
    client = Client(server, FLOWS)
    client.start(retrying, 9, 3, id="r")
    Worker(server, workflows=FLOWS, activities=ACTS, skip_time=True).run()
    d = client.describe("r")
    assert d.status == "Failed" and d.failure["type"] == "NotYet" and "after attempt 3" in d.failure["message"]
    assert len(CALLS) == 3


def test_a_non_retryable_failure_raises_activity_error_at_once():
    server = _server()
    client = Client(server, FLOWS)
    client.start(declining, id="d")
    Worker(server, workflows=FLOWS, activities=ACTS, skip_time=True).run()
    assert client.describe("d").result == {"caught": "CardDeclined", "attempt": 1, "activity": "Declined"}
    assert len(CALLS) == 1
    (marker,) = _markers(client, "d")
    assert marker.attributes["failure"]["type"] == "CardDeclined" and "backoff_seconds" not in marker.attributes


@pytest.mark.parametrize("recorded, deployed, recorded_says, asked", [
    ("local-order", "remote-order", "MarkerRecorded(LocalActivity Charge)", "ActivityTaskScheduled(Charge)"),
    ("remote-order", "local-order", "ActivityTaskScheduled(Charge)", "MarkerRecorded(LocalActivity Charge)"),
])
def test_switching_between_local_and_normal_activity_is_nondeterministic(recorded, deployed, recorded_says, asked):
    server = _server()
    old = {"local-order": local_order, "remote-order": remote_order}
    client = Client(server, FLOWS)
    client.start(recorded, ORDER, id="o")
    Worker(server, workflows={recorded: old[recorded]}, activities=ACTS, skip_time=True).run(
        until=EPOCH + timedelta(minutes=10))
    # a deploy: the same workflow type now runs the other code
    w = Worker(server, workflows={recorded: old[deployed]}, activities=ACTS, skip_time=True)
    w.run()
    d = client.describe("o")
    assert d.status == "Running" and d.stuck is not None
    assert recorded_says in d.stuck and asked in d.stuck
    failed = [e for e in client.history("o") if e.event_type == "WorkflowTaskFailed"]
    assert failed and failed[-1].attributes["cause"] == "NonDeterministicError"
    assert [c["type"] for c in CALLS] == ["Charge"]  # nothing ran again


def test_the_idempotency_key_is_workflow_id_and_activity_id():
    server = _server()
    client = Client(server, FLOWS)
    client.start(local_order, ORDER, id="wf-7")
    Worker(server, workflows=FLOWS, activities=ACTS, skip_time=True).run()
    assert [c["key"] for c in CALLS] == ["wf-7-charge", "wf-7-2"]  # explicit id, then the sequence number
    off = _server()
    Client(off, FLOWS).start(local_order, ORDER, id="wf-8")
    Worker(off, workflows=FLOWS, activities=ACTS, skip_time=True, idempotency_keys=False).run()
    assert [c["key"] for c in CALLS[2:]] == [None, None]


def test_an_unregistered_local_activity_fails_the_workflow_task_until_a_worker_has_it():
    server = _server()
    client = Client(server, FLOWS)
    client.start(local_order, ORDER, id="o")
    Worker(server, workflows=FLOWS, activities=[ship], skip_time=True).run()
    d = client.describe("o")
    assert d.status == "Running" and "'Charge' of o is not registered" in d.stuck
    Worker(server, workflows=FLOWS, activities=ACTS, skip_time=True).run()
    assert client.describe("o").status == "Completed"
