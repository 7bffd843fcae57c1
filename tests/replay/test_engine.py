"""The replay engine's mechanisms on small workflows: queries, cancel, children, continue-as-new,
history limits, leases, persisted virtual time."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.replay import (
    ApplicationError,
    Client,
    HistoryLimits,
    PayloadError,
    QueryError,
    RetryPolicy,
    Server,
    Worker,
    WorkflowAlreadyStartedError,
    WorkflowNotFoundError,
    activity,
    workflow,
)
from workloads.order_1001.order import ORDER
from workloads.order_1001.replay import WORKFLOWS, OrderActivities, order_workflow, run_split, run_ticker
from workloads.services import Services


def setup(db=":memory:", limits=None):
    clock = VirtualClock(EPOCH)
    server = Server(db, clock, limits=limits)
    services = Services(server.store, clock)
    client = Client(server, WORKFLOWS)
    return server, services, client, OrderActivities(services).all()


def test_query_appends_no_event_and_cannot_schedule():
    server, services, client, acts = setup()
    client.start(order_workflow, ORDER, id="order-1001")
    Worker(server, workflows=WORKFLOWS, activities=acts, skip_time=True).run(until=EPOCH + timedelta(days=1))
    before = len(client.history("order-1001"))
    assert client.query("order-1001", "getOrderStatus")["step"].startswith("waiting")
    assert len(client.history("order-1001")) == before
    with pytest.raises(QueryError, match="no query 'nope'"):
        client.query("order-1001", "nope")


@workflow.defn(name="greedy")
async def greedy(ctx):
    ctx.set_query_handler("bad", lambda: ctx.start_activity("ChargeCard", {}))
    await ctx.sleep(60)


def test_a_query_that_schedules_is_an_error():
    server, _, client, acts = setup()
    client = Client(server, [greedy])
    client.start(greedy, id="g")
    Worker(server, workflows=[greedy], activities=acts).run()
    with pytest.raises(QueryError, match="must not change"):
        client.query("g", "bad")


def test_signal_is_recorded_and_wakes_the_workflow():
    server, services, client, acts = setup()
    client.start(order_workflow, ORDER, id="order-1001")
    w = Worker(server, workflows=WORKFLOWS, activities=acts, skip_time=True)
    w.run(until=EPOCH + timedelta(days=2))
    client.signal("order-1001", "cancelOrder", {"reason": "changed my mind"})
    w.run()
    types = [e.event_type for e in client.history("order-1001")]
    assert "WorkflowExecutionSignaled" in types and "TimerCanceled" in types
    assert client.describe("order-1001").result["status"] == "cancelled"


def test_cancel_request_is_caught_and_compensated():
    server, services, client, acts = setup()
    client.start(order_workflow, ORDER, id="order-1001")
    w = Worker(server, workflows=WORKFLOWS, activities=acts, skip_time=True)
    w.run(until=EPOCH + timedelta(days=2))
    client.cancel("order-1001")
    w.run()
    d = client.describe("order-1001")
    assert d.status == "Canceled"
    assert [e.kind for e in services.ledger().entries] == ["charge", "reservation", "release", "refund"]


def test_children_fail_in_isolation():
    out = run_split(failing="WH-West")
    assert out["children"]["WH-West"]["status"] == "Failed"
    assert out["children"]["WH-East"]["status"] == "Completed"
    assert out["parent"]["status"] == "Completed"
    assert out["parent"]["result"]["shipments"]["WH-East"] == "shipped"
    assert out["parent"]["result"]["shipments"]["WH-West"].startswith("failed")
    assert out["children"]["WH-East"]["history_length"] < out["parent"]["history_length"]
    assert len(out["ledger"].of("shipment")) == 1


def test_continue_as_new_keeps_the_history_small():
    out = run_ticker(60, continue_as_new=True, limits=HistoryLimits(warn=100, terminate=200))
    assert out["final_status"] == "Completed" and out["result"]["ticks"] == 60
    assert len(out["runs"]) > 1
    assert all(r["status"] == "ContinuedAsNew" for r in out["runs"][:-1])
    assert max(r["history_length"] for r in out["runs"]) < 200


def test_without_continue_as_new_the_limit_terminates():
    out = run_ticker(60, continue_as_new=False, limits=HistoryLimits(warn=100, terminate=200))
    assert out["final_status"] == "Terminated"
    assert any(e.kind == "HistorySizeWarning" for e in out["trace"])
    assert out["runs"][0]["history_length"] >= 200


def test_default_limits_are_temporals():
    assert HistoryLimits() == HistoryLimits(warn=10_240, terminate=51_200)
    assert RetryPolicy().backoff(1) == timedelta(seconds=1) and RetryPolicy().max_interval == timedelta(seconds=100)


def test_policy_gaps_are_capped():
    p = RetryPolicy(maximum_interval=timedelta(seconds=8))
    assert [p.backoff(n).total_seconds() for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


def test_virtual_time_is_kept_in_the_database(tmp_path):
    db = tmp_path / "r.db"
    server, services, client, acts = setup(db)
    client.start(order_workflow, ORDER, id="order-1001")
    Worker(server, workflows=WORKFLOWS, activities=acts, skip_time=True).run(until=EPOCH + timedelta(days=12))
    server.close()
    server2 = Server(db, VirtualClock(EPOCH))
    assert server2.now() == EPOCH + timedelta(days=12)


def test_two_workers_on_one_file_never_share_a_task(tmp_path):
    db = tmp_path / "r.db"
    a, services, client, acts = setup(db)
    b = Server(db, VirtualClock(EPOCH))
    for n in range(4):
        client.start(order_workflow, {**ORDER, "order_id": str(n)}, id=f"o-{n}")
    wa = Worker(a, workflows=WORKFLOWS, activities=acts, skip_time=True).start()
    wb = Worker(b, workflows=WORKFLOWS, activities=OrderActivities(Services(b.store, b.clock)).all(), skip_time=True).start()
    first = a.claim_workflow_task("default", wa.identity, ["order"])
    second = b.claim_workflow_task("default", wb.identity, ["order"])
    assert first.run_id != second.run_id  # a claimed task is invisible to the other worker
    a.advance_to(a.now() + timedelta(seconds=10))
    b.sync_time()
    for _ in range(400):
        progressed = wa.step() | wb.step()
        if not progressed:
            due = a.next_due()
            if due is None:
                break
            a.advance_to(due)
            b.sync_time()
    ledger = services.ledger()
    assert len(ledger.of("charge")) == 4 and len(ledger.of("shipment")) == 4
    assert len({e.idempotency_key for e in ledger.of("charge")}) == 4


def test_an_expired_lease_makes_the_task_claimable_again():
    server, services, client, acts = setup()
    client.start(order_workflow, ORDER, id="order-1001")
    w = Worker(server, workflows=WORKFLOWS, activities=acts).start()
    assert w.run_workflow_task()
    claim = server.claim_activity_task("default", w.identity, ["ChargeCard"])
    assert claim is not None
    assert server.claim_activity_task("default", "other", ["ChargeCard"]) is None
    server.advance_to(server.now() + timedelta(seconds=10))  # start-to-close (the lease) runs out
    assert server.claim_activity_task("default", "other", ["ChargeCard"]) is None  # timed out: retry after backoff
    server.advance_to(server.now() + timedelta(seconds=1))
    again = server.claim_activity_task("default", "other", ["ChargeCard"])
    assert again is not None and again.task_id == claim.task_id and again.attempt == 2


def test_errors_name_what_is_wrong():
    server, services, client, acts = setup()
    with pytest.raises(WorkflowNotFoundError, match="nope"):
        client.describe("nope")
    with pytest.raises(PayloadError, match="JSON"):
        client.start(order_workflow, {"x": object()}, id="bad")
    client.start(order_workflow, ORDER, id="dup")
    with pytest.raises(WorkflowAlreadyStartedError):
        client.start(order_workflow, ORDER, id="dup")


@activity.defn(name="Flaky")
def flaky(n):
    info = activity.info()
    activity.heartbeat({"attempt": info.attempt})
    if info.attempt < n:
        raise ApplicationError("not yet", type="NotYet")
    return {"attempt": info.attempt, "key": info.idempotency_key}


@workflow.defn(name="flaky")
async def flaky_flow(ctx, n):
    return await ctx.activity(flaky, n, activity_id="f", retry=RetryPolicy(maximum_attempts=3))


def test_activity_context_attempt_key_heartbeat_and_max_attempts():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [flaky_flow])
    client.start(flaky_flow, 3, id="wf-a")
    client.start(flaky_flow, 9, id="wf-b")
    Worker(server, workflows=[flaky_flow], activities=[flaky], skip_time=True).run()
    assert client.describe("wf-a").result == {"attempt": 3, "key": "wf-a-f"}
    b = client.describe("wf-b")
    assert b.status == "Failed" and "NotYet" in b.failure["type"]
    failed = [e for e in client.history("wf-b") if e.event_type == "ActivityTaskFailed"][0]
    assert failed.attributes["retry_state"] == "MaximumAttemptsReached"
