"""Two engines in two threads at once (the app runs engines in thread workers): every activity
sees its own `activity.info()` and idempotency key; and `ctx.random()` draws the same numbers in
every process, whatever Python's hash salt."""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from engines.clock import EPOCH, VirtualClock
from engines.replay import Client, Driver, Server, Worker, WorkflowInfo, activity, workflow

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 200   # activity.info() calls per attempt
STEPS = 4      # activities and local activities per workflow

_barrier = threading.Barrier(2)


@activity.defn(name="Probe")
def probe():
    """Wait until the other thread is inside its activity too, then read info() again and again."""
    try:
        _barrier.wait(timeout=2)
    except threading.BrokenBarrierError:
        pass
    seen = set()
    for _ in range(ROUNDS):
        i = activity.info()
        seen.add((i.workflow_id, i.run_id, i.activity_id, i.idempotency_key))
        time.sleep(0)  # let the other thread run in between
    return sorted(list(s) for s in seen)


@workflow.defn(name="probes")
async def probes(ctx, steps):
    out = []
    for k in range(steps):
        out.append(await ctx.activity(probe, activity_id=f"a{k}"))
        out.append(await ctx.local_activity(probe, activity_id=f"l{k}"))
    return out


def one_engine(workflow_id, db):
    server = Server(db, VirtualClock(EPOCH))
    client = Client(server, [probes])
    client.start(probes, STEPS, id=workflow_id)
    Worker(server, workflows=[probes], activities=[probe], skip_time=True).run()
    d = client.describe(workflow_id)
    server.close()
    return d


def test_two_engines_in_two_threads_each_see_their_own_activity(tmp_path):
    _barrier.reset()
    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(one_engine, "wf-a", ":memory:")
        b = pool.submit(one_engine, "wf-b", tmp_path / "b.db")
        runs = [a.result(timeout=60), b.result(timeout=60)]
    for d in runs:
        assert d.status == "Completed", d
        ids = [f"{kind}{k}" for k in range(STEPS) for kind in ("a", "l")]
        assert d.result == [[[d.workflow_id, d.run_id, aid, f"{d.workflow_id}-{aid}"]] for aid in ids]


def test_outside_an_activity_info_is_an_error_in_every_thread():
    def ask():
        try:
            activity.info()
        except Exception as exc:  # noqa: BLE001 - the error is the answer
            return type(exc).__name__
        return "no error"

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(ask).result() == "ReplayError"


DRAW = """
from datetime import datetime, timezone
from engines.replay import Driver, WorkflowInfo

async def wf(ctx):
    return None

for run_id in ("run-not-hex", "0b6e1c2e-6f47-4b1c-9a55-0d6b3c1f2a77"):
    ctx = Driver(wf, WorkflowInfo("wf", run_id, "wf", "default", datetime(2026, 1, 1, tzinfo=timezone.utc))).ctx
    print(run_id, [ctx.random().random() for _ in range(3)], ctx.uuid4())
"""


def draw_in_a_new_process(hash_seed):
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", DRAW], cwd=ROOT, env=env, capture_output=True, text=True, check=True,
                          timeout=60).stdout


def test_ctx_random_is_the_same_in_two_processes_for_any_run_id():
    first, second = draw_in_a_new_process("1"), draw_in_a_new_process("2")
    assert first == second and first.count("\n") == 2
    ctx = Driver(probes, WorkflowInfo("wf", "run-not-hex", "wf", "default", EPOCH)).ctx
    here = f"run-not-hex {[ctx.random().random() for _ in range(3)]} {ctx.uuid4()}"
    assert first.splitlines()[0] == here
