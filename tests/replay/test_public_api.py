"""The parts of the engine's API that mirror temporalio's and that no workload happens to use:
handles on existing executions, `is_replaying`, the `execute_*` names, WorkflowInfo's lineage,
and the event-type and status vocabularies."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.replay import (
    Client,
    EventType,
    RetryState,
    Server,
    Worker,
    WorkflowExecutionStatus,
    WorkflowNotFoundError,
    activity,
    workflow,
)


@activity.defn(name="Double")
def double(n):
    return 2 * n


@workflow.defn(name="both-names")
async def both_names(ctx, n):
    remote = await ctx.execute_activity(double, n)
    local = await ctx.execute_local_activity(double, n + 1)
    return [remote, local]


SEEN: list[tuple[str, bool]] = []


@workflow.defn(name="replaying")
async def replaying(ctx):
    SEEN.append(("before", ctx.is_replaying))
    await ctx.sleep(timedelta(minutes=1))
    SEEN.append(("after", ctx.is_replaying))


@workflow.defn(name="lineage-child")
async def lineage_child(ctx):
    return ctx.info.parent_workflow_id


@workflow.defn(name="lineage")
async def lineage(ctx, again):
    if again:
        ctx.continue_as_new(False)
    child = await ctx.execute_child(lineage_child, id="lineage-kid")
    return {"parent_of_child": child, "continued_from": ctx.info.continued_from_run_id}


def engine(*workflows):
    server = Server(":memory:", VirtualClock(EPOCH))
    return server, Client(server, workflows), Worker(server, workflows=workflows, activities=[double], skip_time=True)


def test_get_handle_reaches_an_execution_started_elsewhere():
    server, client, worker = engine(both_names)
    client.start(both_names, 5, id="named")
    worker.run()
    handle = Client(server).get_handle("named")
    assert handle.result() == [10, 12]
    assert handle.describe().status == WorkflowExecutionStatus.COMPLETED
    with pytest.raises(WorkflowNotFoundError):
        client.get_handle("nobody")


def test_is_replaying_is_true_only_while_recorded_commands_are_reissued():
    SEEN.clear()
    server, client, _ = engine(replaying)
    client.start(replaying, id="r")
    Worker(server, workflows=[replaying], skip_time=True, max_cached_workflows=0).run()  # every task replays
    assert SEEN == [("before", False), ("before", True), ("after", False)]


def test_a_cached_run_is_not_replayed_a_new_worker_replays_it():
    SEEN.clear()
    server, client, worker = engine(replaying)
    client.start(replaying, id="r")
    worker.run(max_tasks=1)
    worker.stop()  # the next task goes to a worker that never saw the run
    Worker(server, workflows=[replaying], skip_time=True).run()
    assert SEEN == [("before", False), ("before", True), ("after", False)]
    SEEN.clear()
    client.start(replaying, id="r2")
    worker = Worker(server, workflows=[replaying], skip_time=True)
    worker.run()  # one worker, sticky: the code continues where it waited, nothing is re-run
    assert SEEN == [("before", False), ("after", False)]
    assert worker.stats.cache_hits == 1 and worker.stats.replayed_events == 0


def test_workflow_info_names_the_parent_and_the_run_continued_from():
    _, client, worker = engine(lineage, lineage_child)
    client.start(lineage, True, id="lineage")
    worker.run()
    first, second = client.runs("lineage")
    assert first.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert second.result == {"parent_of_child": "lineage", "continued_from": first.run_id}


def test_event_types_and_statuses_are_the_stored_text():
    server, client, worker = engine(both_names)
    client.start(both_names, 1, id="t")
    worker.run()
    events = client.history("t")
    assert all(isinstance(e.event_type, EventType) for e in events)
    stored = [r[0] for r in server.store.query("SELECT event_type FROM rp_history ORDER BY event_id")]
    assert stored == [e.event_type.value for e in events]
    assert stored[0] == "WorkflowExecutionStarted" and stored[-1] == "WorkflowExecutionCompleted"
    assert server.store.one("SELECT status FROM rp_runs")[0] == "Completed" == client.describe("t").status
    assert {s.value for s in WorkflowExecutionStatus} == {
        "Running", "Completed", "Failed", "Canceled", "Terminated", "ContinuedAsNew", "TimedOut"}
    assert RetryState.MAXIMUM_ATTEMPTS_REACHED == "MaximumAttemptsReached"
