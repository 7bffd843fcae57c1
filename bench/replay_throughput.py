"""Benchmark (not a test): durable ORDER #1001 runs per second and replay speed, plus DBOS.

    .venv/bin/python bench/replay_throughput.py [--orders 200] [--dbos-python /work/peers/dbos-venv/bin/python]

Every run is on an SQLite file (WAL, synchronous=NORMAL): each step is committed before the next
one runs. The DBOS peer (optional; its own virtual environment) runs the same four-step order on
a SQLite file; the ratio is printed when it is available. The ratio compares like with like: the
peer's steps only return a dict, so the replay engine's four steps do the same here (its figure
with the real services, which write their own ledger rows in SQLite per step, is printed too).
DBOS's steps run inline in the workflow's process and checkpoint their output, which is what a
Temporal local activity is: the `order4-local` line runs the same four steps as local activities
(one transaction per step: the marker, and the next workflow task claimed by the same worker).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DBOS_PYTHON = "/work/peers/dbos-venv/bin/python"

PEER = r'''
import json, sys, time, tempfile, os
from dbos import DBOS
n = int(sys.argv[1])
d = tempfile.mkdtemp()
DBOS(config={"name": "bench", "system_database_url": f"sqlite:///{d}/dbos.sqlite"})
@DBOS.step()
def charge(o): return {"charged": o["amount_cents"]}
@DBOS.step()
def reserve(o): return {"reserved": 1}
@DBOS.step()
def ship(o): return {"shipped": 1}
@DBOS.step()
def email(o): return {"emailed": 1}
@DBOS.workflow()
def order(o):
    charge(o); reserve(o); ship(o); email(o)
    return "ok"
DBOS.launch()
o = {"order_id": "1001", "amount_cents": 4200}
order(o)
t = time.perf_counter()
for i in range(n):
    order(o)
dt = time.perf_counter() - t
DBOS.destroy()
print(json.dumps({"n": n, "seconds": dt, "wf_per_s": n / dt}))
'''


def bench_orders(n: int, full: bool, pure: bool = False, local: bool = False) -> float:
    """Durable orders per second; `pure`: the four steps return a dict as the DBOS peer's do;
    `local`: those pure steps as local activities (run inline, recorded as markers)."""
    from engines.clock import EPOCH, VirtualClock
    from engines.replay import Client, Server, Worker, activity, workflow
    from workloads.order_1001.order import ORDER
    from workloads.order_1001.replay import WORKFLOWS, OrderActivities, A, order_workflow
    from workloads.services import Services

    @workflow.defn(name="order4")
    async def order4(ctx, order):
        for fn, aid in ((A.charge_card, "charge"), (A.reserve_inventory, "reserve"), (A.ship_package, "ship"),
                        (A.send_confirmation_email, "email")):
            await ctx.activity(fn, order, activity_id=aid)

    @activity.defn(name="Charge")
    def charge(o):
        return {"charged": o["amount_cents"]}

    @activity.defn(name="Reserve")
    def reserve(o):
        return {"reserved": 1}

    @activity.defn(name="Ship")
    def ship(o):
        return {"shipped": 1}

    @activity.defn(name="Email")
    def email(o):
        return {"emailed": 1}

    @workflow.defn(name="order4-pure")
    async def order4_pure(ctx, order):
        for fn in (charge, reserve, ship, email):
            await ctx.activity(fn, order)
        return "ok"

    @workflow.defn(name="order4-local")
    async def order4_local(ctx, order):
        for fn in (charge, reserve, ship, email):
            await ctx.local_activity(fn, order)
        return "ok"

    with tempfile.TemporaryDirectory() as d:
        clock = VirtualClock(EPOCH)
        server = Server(Path(d) / "bench.db", clock)
        services = Services(server.store, clock)
        flows = WORKFLOWS + [order4, order4_pure, order4_local]
        client = Client(server, flows)
        worker = Worker(server, workflows=flows, activities=OrderActivities(services).all() + [charge, reserve, ship, email],
                        skip_time=True)
        worker.start()
        flow = order4_local if local else order4_pure if pure else order_workflow if full else order4
        t = time.perf_counter()
        for i in range(n):
            client.start(flow, {**ORDER, "order_id": str(i)}, id=f"order-{i}")
            worker.run()
        dt = time.perf_counter() - t
        if pure or local:
            assert sum(1 for r in server.list_executions() if r.status == "Completed") == n
        else:
            assert services.ledger().counts()["shipped"] == n
        worker.stop()
        return n / dt


def bench_replay() -> tuple[int, float]:
    from engines.clock import EPOCH, VirtualClock
    from engines.replay import Client, Driver, HistoryLimits, Server, Worker, WorkflowInfo, workflow

    @workflow.defn(name="fanout")
    async def fanout(ctx, rounds, width):
        for _ in range(rounds):
            await ctx.gather(*[ctx.sleep(timedelta(seconds=1 + j)) for j in range(width)])
        return rounds

    server = Server(":memory:", VirtualClock(EPOCH), limits=HistoryLimits(warn=60_000, terminate=100_000))
    client = Client(server, [fanout])
    client.start(fanout, 20, 100, id="fanout")
    Worker(server, workflows=[fanout], skip_time=True).run()
    d = client.describe("fanout")
    events = client.history("fanout")
    info = WorkflowInfo("fanout", d.run_id, "fanout", "default", events[0].time)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        Driver(fanout, info, warn_limit=60_000).run(events, live=False)
        best = min(best, time.perf_counter() - t)
    return len(events), best


def bench_dbos(n: int, python: str | None) -> dict | None:
    candidates = [python] if python else []
    try:
        import dbos  # noqa: F401
        candidates.insert(0, sys.executable)
    except ImportError:
        pass
    if os.path.exists(DEFAULT_DBOS_PYTHON):
        candidates.append(DEFAULT_DBOS_PYTHON)
    for exe in candidates:
        try:
            out = subprocess.run([exe, "-c", PEER, str(n)], capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip():
            return {**json.loads(out.stdout.strip().splitlines()[-1]), "python": exe}
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--dbos-python", default=None, help="a python with dbos installed (default: this one, then "
                                                               f"{DEFAULT_DBOS_PYTHON})")
    args = parser.parse_args()
    four = bench_orders(args.orders, full=False, pure=True)
    local = bench_orders(args.orders, full=False, local=True)
    services = bench_orders(args.orders, full=False)
    full = bench_orders(args.orders, full=True)
    events, seconds = bench_replay()
    print(f"replay engine, four-step order (charge, reserve, ship, email), durable on SQLite: {four:,.0f} workflows/s")
    print(f"replay engine, the same four steps as local activities:                         {local:,.0f} workflows/s")
    print(f"  the same four steps calling the services (their ledger rows in SQLite too):      {services:,.0f} workflows/s")
    print(f"replay engine, full ORDER #1001 (with the 30-day timer skipped):                {full:,.0f} workflows/s")
    print(f"replay of a {events:,}-event history: {seconds * 1000:.1f} ms ({events / seconds:,.0f} events/s)")
    peer = bench_dbos(args.orders, args.dbos_python)
    if peer is None:
        print("DBOS: not installed (pip install dbos in its own venv, e.g. /work/peers/dbos-venv); no ratio")
    else:
        print(f"DBOS (same four-step order, SQLite, {peer['python']}): {peer['wf_per_s']:,.0f} workflows/s")
        print(f"ratio replay/DBOS: {four / peer['wf_per_s']:.1f}x (target >= 10x; with the services' writes: "
              f"{services / peer['wf_per_s']:.1f}x)")
        print(f"ratio replay (local activities)/DBOS: {local / peer['wf_per_s']:.1f}x")


if __name__ == "__main__":
    main()
