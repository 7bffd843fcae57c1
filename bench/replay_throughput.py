"""Benchmark (not a test): durable order workflows per second, the replay engine against DBOS.

    .venv/bin/python bench/replay_throughput.py [--orders 200] [--repeat 3] [--sync NORMAL,FULL]
                                                [--dbos-python PATH] [--no-extras]

What is compared, like with like: the same four-step order (charge, reserve, ship, email; each
step only returns a dict), run one order after another by one process on one SQLite file in WAL
mode, at the same `synchronous` setting for both engines: NORMAL (no fsync per commit; a power
cut may lose the last commits, a crashed process loses nothing) and FULL (an fsync per commit).
Each figure is a whole fresh process (imports, engine start, one warm-up order, then `--orders`
timed orders), run interleaved (replay, DBOS, replay, DBOS, ...) `--repeat` times; the output
gives min / median / max of each side and of the ratio of each replay run to the DBOS run next
to it.

Two shapes of the replay engine's order: its steps as activities (each one a task the worker
claims, the result recorded) and as local activities (run inline in the workflow task, recorded
as markers), which is what a DBOS step is. DBOS's SQLite system database leaves the pragmas at
SQLite's defaults (rollback journal, synchronous=FULL: read in its `_sys_db_sqlite.py`), so the
peer sets them on every connection it opens (a SQLAlchemy "connect" listener) and reports what
its own engine reads back; DBOS with its defaults is printed too, as a reference only.

The peer runs in its own virtual environment: --dbos-python, else $DBOS_PYTHON, else
/work/peers/dbos-venv/bin/python; without it the peer is skipped with a line saying so.
--no-extras skips the replay-only figures (the order calling the services, the full ORDER #1001,
a long replay).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DBOS_PYTHON = "/work/peers/dbos-venv/bin/python"
SYNC_LEVELS = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}

PEER = r'''
import json, sys, time, tempfile
n, sync = int(sys.argv[1]), sys.argv[2]
import sqlalchemy as sa
from sqlalchemy import event
if sync != "default":
    @event.listens_for(sa.engine.Engine, "connect")
    def _pragmas(dbapi_conn, record):
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute(f"PRAGMA synchronous = {sync}")
from dbos import DBOS
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
pragmas = {}
try:
    from dbos._dbos import _get_dbos_instance
    with _get_dbos_instance()._sys_db.engine.connect() as c:
        pragmas = {"synchronous": c.exec_driver_sql("PRAGMA synchronous").fetchone()[0],
                   "journal_mode": c.exec_driver_sql("PRAGMA journal_mode").fetchone()[0]}
except Exception as exc:
    pragmas = {"unread": repr(exc)}
DBOS.destroy()
print(json.dumps({"n": n, "seconds": dt, "wf_per_s": n / dt, **pragmas}))
'''


# --- the replay engine's side, in a process of its own (--child) -----------------------------------
def bench_orders(n: int, kind: str = "pure", sync: str = "NORMAL", warm: bool = True) -> dict:
    """Durable orders per second, one after another. `kind`: "pure" (four activities returning a
    dict, as the DBOS peer's steps do), "local" (the same as local activities), "services" (the
    four steps calling the services, which write ledger rows in SQLite too) or "full" (ORDER
    #1001 itself, its 30-day timer skipped)."""
    from engines.clock import EPOCH, VirtualClock
    from engines.replay import Client, Server, Worker, activity, workflow
    from workloads.order_1001.order import ORDER
    from workloads.order_1001.replay import WORKFLOWS, A, OrderActivities, order_workflow
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
        # engines.store.Store sets synchronous = NORMAL when it opens a file; the same connection
        # serves every statement of this process, so setting it here applies to every commit
        server.store.conn.execute(f"PRAGMA synchronous = {sync}")
        pragmas = {"synchronous": server.store.conn.execute("PRAGMA synchronous").fetchone()[0],
                   "journal_mode": server.store.conn.execute("PRAGMA journal_mode").fetchone()[0]}
        services = Services(server.store, clock)
        flows = WORKFLOWS + [order4, order4_pure, order4_local]
        client = Client(server, flows)
        worker = Worker(server, workflows=flows, activities=OrderActivities(services).all() + [charge, reserve, ship, email],
                        skip_time=True)
        worker.start()
        flow = {"pure": order4_pure, "local": order4_local, "services": order4, "full": order_workflow}[kind]
        if warm:
            client.start(flow, {**ORDER, "order_id": "warm"}, id="order-warm")
            worker.run()
        t = time.perf_counter()
        for i in range(n):
            client.start(flow, {**ORDER, "order_id": str(i)}, id=f"order-{i}")
            worker.run()
        dt = time.perf_counter() - t
        if kind in ("pure", "local"):
            assert sum(1 for r in server.list_executions() if r.status == "Completed") == n + warm
        else:
            assert services.ledger().counts()["shipped"] == n + warm
        worker.stop()
        server.close()
        return {"n": n, "seconds": dt, "wf_per_s": n / dt, **pragmas}


def bench_replay() -> tuple[int, float]:
    """Best of 5 replays from the top of a 20 × 100-timer fan-out's whole history."""
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


# --- running both sides as whole processes --------------------------------------------------------
def run_json(cmd: list[str], timeout: float = 600) -> dict | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        sys.stderr.write(out.stderr[-2000:])
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def ours(n: int, kind: str, sync: str) -> dict | None:
    return run_json([sys.executable, __file__, "--child", kind, "--sync", sync, "--orders", str(n)])


def peer(python: str, n: int, sync: str) -> dict | None:
    return run_json([python, "-c", PEER, str(n), sync])


def find_dbos(explicit: str | None) -> str | None:
    for exe in (explicit, os.environ.get("DBOS_PYTHON"), DEFAULT_DBOS_PYTHON):
        if exe and os.path.exists(exe):
            probe = subprocess.run([exe, "-c", "import dbos"], capture_output=True)
            if probe.returncode == 0:
                return exe
    return None


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def pragma_text(r: dict) -> str:
    sync = {v: k for k, v in SYNC_LEVELS.items()}.get(r.get("synchronous"), r.get("synchronous", "?"))
    return f"journal_mode={r.get('journal_mode', '?')}, synchronous={sync}"


def compare(n: int, repeat: int, sync: str, dbos: str | None) -> None:
    print(f"\nsynchronous={sync} for both engines, WAL, {n} orders per process, {repeat} interleaved runs "
          "(workflows/s, min / median / max):")
    runs: dict[str, list[dict]] = {"pure": [], "local": [], "dbos": []}
    for _ in range(repeat):
        for kind in ("pure", "local"):
            r = ours(n, kind, sync)
            if r is not None:
                runs[kind].append(r)
        if dbos is not None:
            r = peer(dbos, n, sync)
            if r is not None:
                runs["dbos"].append(r)
    labels = {"pure": "replay, steps as activities      ", "local": "replay, steps as local activities",
              "dbos": "DBOS, steps                      "}
    for key, label in labels.items():
        if runs[key]:
            print(f"  {label} {spread([r['wf_per_s'] for r in runs[key]])}   ({pragma_text(runs[key][0])})")
    if dbos is None:
        return
    if len(runs["dbos"]) != repeat:
        print(f"  DBOS: {repeat - len(runs['dbos'])} of {repeat} peer runs failed; ratios over the pairs that ran")
    for key in ("pure", "local"):
        pairs = list(zip(runs[key], runs["dbos"]))
        if pairs:
            ratios = [a["wf_per_s"] / b["wf_per_s"] for a, b in pairs]
            print(f"  ratio {labels[key].strip()} / DBOS: {spread(ratios, '{:.1f}x')}   (target >= 5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sync", default="NORMAL,FULL", help="synchronous settings to compare (default NORMAL,FULL)")
    parser.add_argument("--dbos-python", default=None,
                        help=f"a python with dbos installed (default $DBOS_PYTHON, then {DEFAULT_DBOS_PYTHON})")
    parser.add_argument("--no-extras", action="store_true", help="only the comparison with DBOS")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(bench_orders(args.orders, args.child, args.sync.split(",")[0])))
        return
    levels = [s.strip().upper() for s in args.sync.split(",") if s.strip()]
    for s in levels:
        if s not in SYNC_LEVELS:
            parser.error(f"--sync: {s} is not one of {', '.join(SYNC_LEVELS)}")
    dbos = find_dbos(args.dbos_python)
    print("replay engine vs DBOS: the same four-step order, one process each, one SQLite file each, "
          "same journal mode (WAL) and synchronous setting, warm (one order first), interleaved runs")
    if dbos is None:
        print("DBOS: not installed (python -m venv /work/peers/dbos-venv && /work/peers/dbos-venv/bin/pip install dbos, "
              "or --dbos-python / $DBOS_PYTHON); the peer is skipped, no ratio")
    else:
        print(f"DBOS peer: {dbos}")
    for sync in levels:
        compare(args.orders, args.repeat, sync, dbos)
    if dbos is not None:
        r = peer(dbos, args.orders, "default")
        if r is not None:
            print(f"\nreference only, DBOS with its own SQLite defaults ({pragma_text(r)}): {r['wf_per_s']:,.0f} workflows/s")
    if not args.no_extras:
        services = ours(args.orders, "services", "NORMAL")
        full = ours(args.orders, "full", "NORMAL")
        events, seconds = bench_replay()
        print("\nreplay engine only (synchronous=NORMAL, one process each):")
        if services is not None:
            print(f"  the four steps calling the services (their ledger rows in SQLite too): {services['wf_per_s']:,.0f} workflows/s")
        if full is not None:
            print(f"  full ORDER #1001 (its 30-day timer skipped):                          {full['wf_per_s']:,.0f} workflows/s")
        print(f"  replay from the top of a {events:,}-event history: {seconds * 1000:.1f} ms ({events / seconds:,.0f} events/s)")


if __name__ == "__main__":
    main()
