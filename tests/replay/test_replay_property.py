"""Property: replaying any completed history with the same code issues exactly the recorded commands."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engines.clock import EPOCH, VirtualClock
from engines.replay import Client, Driver, Server, Worker, WorkflowInfo, activity, workflow
from engines.replay.history import COMMAND_EVENTS


@activity.defn(name="Step")
def step(n):
    return {"n": n, "attempt": activity.info().attempt}


@workflow.defn(name="child-step")
async def child_step(ctx, n):
    return await ctx.activity(step, n)


@workflow.defn(name="program")
async def program(ctx, steps):
    """Interprets a generated program: activities, timers, version gates, children, parallel work."""
    total = 0
    for i, (kind, arg) in enumerate(steps):
        if kind == "act":
            total += (await ctx.activity(step, arg))["n"]
        elif kind == "sleep":
            await ctx.sleep(timedelta(seconds=arg))
        elif kind == "patch":
            if ctx.patched(f"p{arg}"):
                total += 1
        elif kind == "wait":
            await ctx.wait_condition(lambda: False, timeout=arg)
        elif kind == "child":
            total += (await ctx.execute_child(child_step, arg, id=f"{ctx.info.workflow_id}-c{i}"))["n"]
        elif kind == "par":
            results = await ctx.gather(*[ctx.start_activity(step, arg + j) for j in range(2)])
            total += sum(r["n"] for r in results)
        elif kind == "rand":
            total += int(ctx.random().random() * 10) + len(ctx.uuid4()) * 0
    return total


STEP = st.tuples(st.sampled_from(["act", "sleep", "patch", "wait", "child", "par", "rand"]), st.integers(1, 5))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=7))
def test_replaying_a_completed_history_issues_exactly_the_recorded_commands(steps):
    server = Server(":memory:", VirtualClock(EPOCH))
    client = Client(server, [program, child_step])
    client.start(program, steps, id="p")
    Worker(server, workflows=[program, child_step], activities=[step], skip_time=True).run(max_tasks=500)
    d = client.describe("p")
    assert d.status == "Completed", d
    events = client.history("p")
    info = WorkflowInfo("p", d.run_id, "program", "default", events[0].time)
    driver = Driver(program, info)
    new = driver.run(events, live=False)
    assert new == []
    assert driver.matched_commands == sum(1 for e in events if e.event_type in COMMAND_EVENTS)
