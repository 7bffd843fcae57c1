"""Sticky execution: a worker keeps each run's state between its workflow tasks (bounded, LRU,
dropped on any doubt), and that changes nothing anyone can see but the cost.

The property: a generated workflow, driven through signals, queries, worker hand-overs and
killed workers, leaves exactly the same histories, results and query answers with the cache on
(of any size) as with it off (`max_cached_workflows=0`, every task replays from the top).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engines.clock import EPOCH, VirtualClock
from engines.replay import (
    Client,
    EventType,
    HistoryEvent,
    NondeterminismError,
    ReplayError,
    RetryPolicy,
    Server,
    Worker,
    WorkerCrashed,
    activity,
    WorkflowInfo,
    workflow,
)
from engines.replay import executions as executions_module
from engines.replay.driver import Driver, StaleState
from engines.replay.worker import MAX_PROBLEMS


# --- the workflow a test generates -----------------------------------------------------------------
@activity.defn(name="Step")
def step(n):
    return {"n": n}


@activity.defn(name="Flaky")
def flaky(n):
    if activity.info().attempt < 2:
        raise RuntimeError("not yet")
    return {"n": n}


@workflow.defn(name="sticky-child")
async def sticky_child(ctx, n):
    return await ctx.activity(step, n)


@workflow.defn(name="sticky-program")
async def program(ctx, steps, generation):
    """Interprets a generated program; `total` depends on every result, signal and draw."""
    total = 0
    ctx.set_query_handler("total", lambda: total)
    for i, (kind, arg) in enumerate(steps):
        if kind == "act":
            total += (await ctx.activity(step, arg))["n"]
        elif kind == "flaky":
            total += (await ctx.activity(flaky, arg, retry=RetryPolicy(initial_interval=timedelta(seconds=arg))))["n"]
        elif kind == "local":
            total += (await ctx.local_activity(step, arg))["n"]
        elif kind == "sleep":
            await ctx.sleep(timedelta(seconds=arg))
        elif kind == "patch":
            total += 10 if ctx.patched(f"p{arg}") else 0
        elif kind == "signal":
            got = await ctx.wait_condition(lambda: (ctx.signals.bump or 0) >= arg, timeout=timedelta(seconds=30 * arg))
            total += (ctx.signals.bump or 0) * 100 if got else 1
        elif kind == "child":
            child = await ctx.execute_child(sticky_child, arg, id=f"{ctx.info.workflow_id}-g{generation}-c{i}")
            total += child["n"]
        elif kind == "par":
            results = await ctx.gather(*[ctx.start_activity(step, arg + j) for j in range(2)], ctx.sleep(arg))
            total += sum(r["n"] for r in results[:2])
        elif kind == "rand":
            total += int(ctx.random().random() * 1000)
        elif kind == "can" and generation == 0:
            ctx.continue_as_new(steps[i + 1:], 1)
    return total


WORKFLOWS = [program, sticky_child]
ACTIVITIES = [step, flaky]
KINDS = ["act", "flaky", "local", "sleep", "patch", "signal", "child", "par", "rand", "can"]
STEPS = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(1, 3)), max_size=7)
#: what happens around the workflow: run k tasks, signal it, query it, hand it to the other
#: live worker, or kill the worker at its k-th step point (a new worker replaces it)
ACTIONS = st.lists(st.one_of(st.tuples(st.just("run"), st.integers(1, 6)),
                             st.tuples(st.sampled_from(["signal", "query", "switch"]), st.just(0)),
                             st.tuples(st.just("kill"), st.integers(1, 6))), max_size=10)


def fixed_uuids():
    """Run ids from a counter, so two engines given the same story write the same histories."""
    counter = iter(range(1, 1_000_000))
    return mock.patch.object(executions_module, "uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(counter))))


class Story:
    """One engine, its client and the workers a test drives, all with one cache size."""

    def __init__(self, cache: int) -> None:
        self.cache = cache
        self.server = Server(":memory:", VirtualClock(EPOCH))
        self.client = Client(self.server, WORKFLOWS)
        self.made = 0
        self.workers = [self.new_worker(), self.new_worker()]  # two live workers share the queue
        self.current = 0
        self.kill_at: int | None = None
        self.answers: list = []
        self.signals = 0

    def new_worker(self) -> Worker:
        self.made += 1
        holder: dict[str, Worker] = {}
        points = iter(range(1, 10**9))

        def on_point(name: str) -> None:
            if self.kill_at is not None and next(points) >= self.kill_at:
                self.kill_at = None
                holder["w"].crash_at = name  # crash right here, mid-task

        w = Worker(self.server, workflows=WORKFLOWS, activities=ACTIVITIES, skip_time=True, identity=f"w{self.made}",
                   max_cached_workflows=self.cache, on_point=on_point)
        holder["w"] = w
        return w.start()

    def run(self, max_tasks: int | None) -> None:
        w = self.workers[self.current]
        try:
            w.run(max_tasks=max_tasks)
        except WorkerCrashed:
            self.workers[self.current] = self.new_worker()

    def act(self, kind: str, arg: int) -> None:
        if kind == "run":
            self.run(arg)
        elif kind == "kill":
            self.kill_at = arg
            self.run(None)
        elif kind == "switch":
            self.current = 1 - self.current
        elif kind == "signal":
            self.signals += 1
            try:
                self.client.signal("p", "bump", self.signals)
            except ReplayError:
                self.answers.append("closed")
        elif kind == "query":
            try:
                self.answers.append(self.client.query("p", "total"))
            except ReplayError as exc:
                self.answers.append(type(exc).__name__)

    def finish(self) -> None:
        self.kill_at = None
        for _ in range(3):
            self.run(2000)

    def record(self) -> dict:
        """Everything a user can see: every run's status, result and history, and the answers."""
        runs = {}
        for d in self.client.list():
            runs[(d.workflow_id, d.run_id)] = (d.status, d.result, [
                (e.event_id, e.ts, e.event_type, e.attributes) for e in self.client.history(d.workflow_id, d.run_id)])
        return {"runs": runs, "answers": self.answers}

    def hits(self) -> int:
        return sum(w.stats.cache_hits for w in self.workers)


def play(steps, actions, cache: int) -> tuple[dict, Story]:
    with fixed_uuids():
        story = Story(cache)
        story.client.start(program, steps, 0, id="p")
        for kind, arg in actions:
            story.act(kind, arg)
        story.finish()
        return story.record(), story


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS, ACTIONS, st.sampled_from([1, 2, 1000]))
def test_the_cache_changes_no_history_result_or_answer(steps, actions, cache):
    off, _ = play(steps, actions, 0)
    on, story = play(steps, actions, cache)
    assert on == off
    latest = story.client.describe("p")
    assert latest.status == "Completed", latest
    for w in story.workers:
        assert w.cached_runs <= cache


# --- what the cache saves, and that it is bounded ------------------------------------------------
@workflow.defn(name="chain")
async def chain(ctx, n):
    for i in range(n):
        await ctx.activity(step, i)
    return n


def test_one_worker_continues_the_cached_run_and_reads_only_new_rows():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [chain])
    reads: list[int] = []
    real = server.history_rows

    def history_rows(run_id, *, after=0, upto=None):
        reads.append(after)
        return real(run_id, after=after, upto=upto)

    server.history_rows = history_rows  # type: ignore[method-assign]
    w = Worker(server, workflows=[chain], activities=[step], skip_time=True)
    client.start(chain, 30, id="c")
    stats = w.run()
    assert client.describe("c").result == 30
    assert stats.workflow_tasks == 31 and stats.cache_hits == 30 and stats.cache_misses == 1
    assert stats.replayed_events == 0  # nothing was handed back twice
    assert reads[0] == 0 and all(after > 0 for after in reads[1:])  # each task read past what it held
    assert w.cached_runs == 0  # a closed run is dropped


def test_with_the_cache_off_every_task_replays_from_the_top():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [chain])
    w = Worker(server, workflows=[chain], activities=[step], skip_time=True, max_cached_workflows=0)
    client.start(chain, 30, id="c")
    stats = w.run()
    assert stats.cache_hits == 0 and stats.cache_misses == 31 and w.cached_runs == 0
    history = client.history("c")
    # 4 events to the first completed task, 6 per step (its command and result, the next task),
    # and the closing command; task k + 1 replays through task k's command: 5 + 6·(k - 1) events
    assert len(history) == 4 + 6 * 30 + 1
    assert stats.replayed_events == sum(5 + 6 * (k - 1) for k in range(1, 31))


@workflow.defn(name="napper")
async def napper(ctx, n):
    for i in range(3):
        await ctx.sleep(timedelta(seconds=n + i * 10))
    return n


def test_the_cache_is_bounded_and_evicts_the_least_recently_used():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [napper])
    w = Worker(server, workflows=[napper], skip_time=True, max_cached_workflows=2)
    for n in range(1, 6):
        client.start(napper, n, id=f"n{n}")
    w.run(max_tasks=5)  # five runs asleep, two of them cached: the two that ran last
    assert w.cached_runs == 2 and list(w._cache) == [client.describe("n4").run_id, client.describe("n5").run_id]
    assert w.stats.cache_evictions == 3
    w.run()
    assert [client.describe(f"n{n}").result for n in range(1, 6)] == [1, 2, 3, 4, 5]
    assert w.stats.cache_misses > 5 and w.cached_runs == 0
    with pytest.raises(ReplayError, match="max_cached_workflows"):
        Worker(server, workflows=[napper], max_cached_workflows=-1)


# --- dropped on any doubt ------------------------------------------------------------------------
def test_another_worker_ran_a_task_so_the_cached_state_is_dropped():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [chain])
    a = Worker(server, workflows=[chain], activities=[step], skip_time=True, identity="a").start()
    b = Worker(server, workflows=[chain], activities=[step], skip_time=True, identity="b").start()
    client.start(chain, 3, id="c")
    a.run(max_tasks=2)  # a: workflow task 1 (cached), activity 1
    b.run(max_tasks=2)  # b: workflow task 2, replayed from the top; activity 2
    assert a.cached_runs == 1 and b.stats.cache_misses == 1
    a.run()  # a's state is one task behind: another worker's task is in the new events
    assert a.stats.cache_evictions == 1 and a.stats.cache_hits == 1 and a.stats.cache_misses == 2
    assert client.describe("c").result == 3


def test_a_lost_lease_drops_the_state_the_worker_computed():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [chain])
    b = Worker(server, workflows=[chain], activities=[step], skip_time=True, identity="b").start()
    taken = []

    def slow(point: str) -> None:  # a is stuck past its lease; b takes the task over meanwhile
        if point.startswith("workflow-task-started") and not taken and a.stats.workflow_tasks == 1:
            taken.append(point)
            server.advance_to(server.now() + timedelta(seconds=11))
            b.run(max_tasks=1)

    a = Worker(server, workflows=[chain], activities=[step], skip_time=True, identity="a", on_point=slow).start()
    client.start(chain, 2, id="c")
    a.run(max_tasks=3)  # task 1, activity 1, task 2 (lost to b)
    assert taken and a.cached_runs == 0
    assert any(e.event_type == EventType.WORKFLOW_TASK_TIMED_OUT for e in client.history("c"))
    a.run()
    assert client.describe("c").result == 2
    assert a.stats.cache_misses >= 2  # after the lost lease a replayed from the top


def test_a_driver_refuses_events_that_do_not_continue_its_state():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [chain])
    client.start(chain, 2, id="c")
    Worker(server, workflows=[chain], activities=[step], skip_time=True, max_cached_workflows=0).run(max_tasks=1)
    history = client.history("c")  # 1 started, 2 task scheduled, 3 task started, 4 completed, 5 activity scheduled
    info = WorkflowInfo("c", client.describe("c").run_id, "chain", "default", history[0].time)
    started, completed, scheduled = history[2], history[3], history[4]
    next_task = HistoryEvent(9, started.ts, EventType.WORKFLOW_TASK_STARTED, {"scheduled_event_id": 8})
    other = HistoryEvent(5, scheduled.ts, scheduled.event_type, {**scheduled.attributes, "activity_type": "Other"})
    elsewhere = HistoryEvent(4, completed.ts, completed.event_type, {**completed.attributes, "started_event_id": 2})
    cases = {
        "started before": [next_task],                              # the cached task never completed
        "were not recorded": [completed, next_task],                # its command left no event
        "not the cached command": [completed, other, next_task],    # a different command was recorded
        "completes workflow task 2": [elsewhere, scheduled, next_task],
        "do not end with": [completed, scheduled],                  # no task to run
    }
    for message, events in cases.items():
        driver = Driver(chain, info)
        assert [type(c).__name__ for c in driver.advance(history[:3])] == ["ScheduleActivityTask"]
        with pytest.raises(StaleState, match=message):
            driver.advance(events)
        driver.close()
    driver = Driver(chain, info)
    driver.advance(history[:3])
    assert driver.advance([completed, scheduled, next_task]) == []  # the real continuation: nothing new to do
    driver.close()
    with pytest.raises(StaleState, match="closed"):
        driver.advance([completed, scheduled, next_task])


# --- crashes and code changes -------------------------------------------------------------------
@workflow.defn(name="versioned")
async def v1(ctx):
    await ctx.activity(step, 1)
    await ctx.sleep(timedelta(hours=1))
    await ctx.activity(step, 2)
    return "v1"


@workflow.defn(name="versioned")
async def v2_breaking(ctx):
    await ctx.activity(step, 1)
    await ctx.activity(step, 99)  # inserted without a version gate: not what the history holds
    await ctx.sleep(timedelta(hours=1))
    await ctx.activity(step, 2)
    return "v2"


@workflow.defn(name="versioned")
async def v2_gated(ctx):
    await ctx.activity(step, 1)
    if ctx.patched("extra-step"):
        await ctx.activity(step, 99)
    await ctx.sleep(timedelta(hours=1))
    await ctx.activity(step, 2)
    return "v2" if ctx.patched("extra-step") else "v1 path"


def _deploy(new_code, cache: int, how: str) -> tuple[list, str, Worker]:
    """v1 runs until the timer, with its state cached; then the worker stops (or dies) and a
    worker with `new_code` takes over. Returns the history, the run's status and the new worker."""
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [v1])
    old = Worker(server, workflows=[v1], activities=[step], skip_time=True, identity="old", max_cached_workflows=cache)
    client.start(v1, id="v")
    old.run(until=EPOCH + timedelta(minutes=30))
    assert old.cached_runs == (1 if cache else 0)
    if how == "stop":
        old.stop()
    else:
        old.crash()
    new = Worker(server, workflows=[new_code], activities=[step], skip_time=True, identity="new",
                 max_cached_workflows=cache)
    new.run()
    return [(e.event_type, e.attributes) for e in client.history("v")], client.describe("v").status, new


@pytest.mark.parametrize("how", ["stop", "crash"])
def test_a_new_worker_with_changed_code_replays_from_the_top_and_detects_it(how):
    off = _deploy(v2_breaking, 0, how)
    on = _deploy(v2_breaking, 1000, how)
    assert on[:2] == off[:2]
    assert on[1] == "Running" and on[0][-1][0] == EventType.WORKFLOW_TASK_FAILED
    assert on[0][-1][1]["cause"] == "NonDeterministicError" and "Step" in on[0][-1][1]["message"]
    # replayed from the top, then dropped; the failed task is retried at once (attempt 2, Temporal's
    # transient task), again from the top, fails again and is not recorded a second time
    assert on[2].stats.cache_misses == 2 and on[2].cached_runs == 0
    assert on[2].stats.failed_workflow_tasks == 2 and [t for t, _ in on[0]].count(EventType.WORKFLOW_TASK_FAILED) == 1


@pytest.mark.parametrize("how", ["stop", "crash"])
def test_a_version_gate_keeps_the_old_run_on_the_old_path_with_the_cache(how):
    off = _deploy(v2_gated, 0, how)
    on = _deploy(v2_gated, 1000, how)
    assert on[:2] == off[:2] and on[1] == "Completed"
    assert on[0][-1][1]["result"] == "v1 path"


def test_nondeterminism_in_a_replay_from_the_top_is_a_nondeterminism_error():
    # the driver itself, given the v1 history and the breaking code: the check that fires above
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [v1])
    client.start(v1, id="v")
    Worker(server, workflows=[v1], activities=[step], skip_time=True).run()
    history = client.history("v")
    info = WorkflowInfo("v", client.describe("v").run_id, "versioned", "default", history[0].time)
    with pytest.raises(NondeterminismError):
        Driver(v2_breaking, info).advance(history[:14])


# --- a long-lived worker stays flat ---------------------------------------------------------------
@workflow.defn(name="broken")
async def broken(ctx, n):
    raise KeyError(n)  # a bug: each run's task fails and waits for fixed code


def test_a_long_lived_worker_keeps_no_per_order_state():
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [chain, broken])
    w = Worker(server, workflows=[chain, broken], activities=[step], skip_time=True, max_cached_workflows=10)
    for i in range(MAX_PROBLEMS + 20):
        client.start(chain, 2, id=f"c{i}")
        client.start(broken, i, id=f"b{i}")
        w.run()
    assert w.stats.failed_workflow_tasks == 2 * (MAX_PROBLEMS + 20)  # each failed task is retried once at once
    assert len(w.stats.problems) == MAX_PROBLEMS and "119" in w.stats.problems[-1]  # the newest kept
    assert w.cached_runs == 0  # closed runs and failed tasks leave nothing behind
    assert not server.histories._open_runs and not server.histories._new_events
