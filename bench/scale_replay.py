"""Benchmark (not a test): how the replay engine's costs grow with the work.

    .venv/bin/python bench/scale_replay.py [--chain 100,1000] [--big] [--cache-off] [--orders 100,5000]
                                           [--rss-orders 5000] [--repeat 3] [--only chain,queue,rss]

Every figure is one whole in-process run on an SQLite file (WAL, synchronous=NORMAL, the engine's
own setting), a virtual clock and one worker in skip-time mode. Three curves:

1. chain: one workflow of N activities in a row (default 100 and 1,000; --big adds 5,000). Wall
   seconds from start to completed, the events replayed (handed back to re-run code) and the
   ratio of 10·N to N: the done criterion is "ten times the work costs at most about ten times
   the time". The worker keeps each run's state between workflow tasks (sticky execution, the
   default); --cache-off adds the same chain with `max_cached_workflows=0`, where every workflow
   task replays the history from the top (about 3·N² events).
2. queue: K orders (four activities each) started into one database (default 100 and 5,000):
   starts/s overall and for the last 100 starts (with K-100 already queued), then one worker's
   throughput draining all K.
3. rss: one worker runs M orders (default 5,000) one after another in a fresh process; its
   resident memory (VmRSS) after the first order, after the first 10 % and at the end.

Each figure is min / median / max over --repeat runs (default 3; the chain at 5,000, the queue
at 1,000 or more and the RSS run once each, to keep the default run near two minutes).
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.clock import EPOCH, VirtualClock  # noqa: E402
from engines.replay import Client, HistoryLimits, Server, Worker, activity, workflow  # noqa: E402


@activity.defn(name="Step")
def step(i: int) -> dict:
    return {"i": i}


@workflow.defn(name="chain")
async def chain(ctx: Any, n: int) -> int:
    total = 0
    for i in range(n):
        total += (await ctx.activity(step, i))["i"]
    return total


@activity.defn(name="Charge")
def charge(o: dict) -> dict:
    return {"charged": o["amount_cents"]}


@activity.defn(name="Reserve")
def reserve(o: dict) -> dict:
    return {"reserved": 1}


@activity.defn(name="Ship")
def ship(o: dict) -> dict:
    return {"shipped": 1}


@activity.defn(name="Email")
def email(o: dict) -> dict:
    return {"emailed": 1}


@workflow.defn(name="order4")
async def order4(ctx: Any, order: dict) -> str:
    for fn in (charge, reserve, ship, email):
        await ctx.activity(fn, order)
    return "ok"


ORDER = {"order_id": "1001", "amount_cents": 4200}
ACTIVITIES = [step, charge, reserve, ship, email]
HAS_CACHE = "max_cached_workflows" in inspect.signature(Worker.__init__).parameters


def worker(server: Server, cache: bool) -> Worker:
    options: dict[str, Any] = {} if cache or not HAS_CACHE else {"max_cached_workflows": 0}
    return Worker(server, workflows=[chain, order4], activities=ACTIVITIES, skip_time=True, **options)


def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


# --- 1. one long chain ---------------------------------------------------------------------------
def run_chain(n: int, cache: bool) -> tuple[float, int, int]:
    """Seconds from start to completed, events replayed, workflow tasks."""
    with tempfile.TemporaryDirectory() as d:
        server = Server(Path(d) / "chain.db", VirtualClock(EPOCH), limits=HistoryLimits(warn=10**7, terminate=10**7))
        client = Client(server, [chain])
        w = worker(server, cache)
        w.start()
        t = time.perf_counter()
        client.start(chain, n, id="chain")
        stats = w.run()
        dt = time.perf_counter() - t
        assert client.describe("chain").result == n * (n - 1) // 2
        w.stop()
        server.close()
        return dt, stats.replayed_events, stats.workflow_tasks


def bench_chain(sizes: list[int], repeat: int, cache_off: bool) -> None:
    modes = [True] + ([False] if cache_off else [])
    if not HAS_CACHE:
        print("chain: this Worker has no sticky cache (max_cached_workflows): every task replays from the top")
        modes = [True]
    print("chain of N activities, one workflow: seconds min / median / max, events replayed, workflow tasks")
    for cache in modes:
        label = "sticky cache on " if cache and HAS_CACHE else "replay from top " if HAS_CACHE else "main            "
        medians: dict[int, float] = {}
        for n in sizes:
            reps = 1 if n >= 5000 else repeat
            runs = [run_chain(n, cache) for _ in range(reps)]
            times = [r[0] for r in runs]
            medians[n] = statistics.median(times)
            print(f"  {label} N={n:>6,}: {spread(times)} s   replayed {runs[0][1]:>12,}   tasks {runs[0][2]:>6,}"
                  f"   ({n / medians[n]:,.0f} activities/s)", flush=True)
        for small in sizes:
            if small * 10 in medians:
                ratio = medians[small * 10] / medians[small]
                print(f"  {label} ratio time(N={small * 10:,}) / time(N={small:,}) = {ratio:.1f}x "
                      f"(linear would be 10x)", flush=True)


# --- 2. many orders in one database ---------------------------------------------------------------
def run_queue(k: int) -> tuple[float, float, float]:
    """starts/s overall, starts/s of the last 100 starts, workflows/s draining all k."""
    with tempfile.TemporaryDirectory() as d:
        server = Server(Path(d) / "queue.db", VirtualClock(EPOCH))
        client = Client(server, [order4])
        tail = min(100, k)
        t = time.perf_counter()
        for i in range(k - tail):
            client.start(order4, {**ORDER, "order_id": str(i)}, id=f"order-{i}")
        t_tail = time.perf_counter()
        for i in range(k - tail, k):
            client.start(order4, {**ORDER, "order_id": str(i)}, id=f"order-{i}")
        end = time.perf_counter()
        w = worker(server, True)
        w.start()
        t_drain = time.perf_counter()
        w.run()
        drain = time.perf_counter() - t_drain
        done = server.store.one("SELECT COUNT(*) FROM rp_runs WHERE status = 'Completed'")[0]
        assert done == k, (done, k)
        w.stop()
        server.close()
        return k / (end - t), tail / (end - t_tail), k / drain


def bench_queue(sizes: list[int], repeat: int) -> None:
    print("many orders queued in one database (4 activities each): min / median / max")
    for k in sizes:
        runs = [run_queue(k) for _ in range(1 if k >= 1000 else repeat)]
        print(f"  {k:>6,} queued: starts/s {spread([r[0] for r in runs], '{:,.0f}')}   "
              f"last 100 starts/s {spread([r[1] for r in runs], '{:,.0f}')}   "
              f"worker drains {spread([r[2] for r in runs], '{:,.0f}')} workflows/s", flush=True)


# --- 3. a long-lived worker's memory ---------------------------------------------------------------
def vm_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_child(m: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        server = Server(Path(d) / "rss.db", VirtualClock(EPOCH))
        client = Client(server, [order4])
        w = worker(server, True)
        w.start()
        samples: dict[str, int] = {}
        for i in range(m):
            client.start(order4, {**ORDER, "order_id": str(i)}, id=f"order-{i}")
            w.run()
            if i == 0:
                samples["first"] = vm_rss_kib()
            if i + 1 == max(1, m // 10):
                samples["warm"] = vm_rss_kib()
        samples["end"] = vm_rss_kib()
        cached = len(getattr(w, "_cache", getattr(w, "_rows", {})))
        w.stop()
        server.close()
        return {**samples, "orders": m, "cached_runs": cached}


def bench_rss(m: int) -> None:
    out = subprocess.run([sys.executable, __file__, "--rss-child", str(m)], capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        print(f"rss: the child failed: {out.stderr.strip()[-500:]}")
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    mib: Callable[[int], str] = lambda kib: f"{kib / 1024:.1f} MiB"
    print(f"worker RSS over {r['orders']:,} orders (one process, one worker): after order 1 {mib(r['first'])}, "
          f"after {max(1, m // 10):,} {mib(r['warm'])}, at the end {mib(r['end'])}")
    print(f"  growth: {100 * (r['end'] / r['first'] - 1):+.1f}% since order 1, {100 * (r['end'] / r['warm'] - 1):+.1f}% "
          f"since order {max(1, m // 10):,} (target: within 20%); runs still cached by the worker: {r['cached_runs']}")


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chain", type=ints, default=[100, 1000], help="chain lengths (default 100,1000)")
    parser.add_argument("--big", action="store_true", help="add a chain of 5,000 activities")
    parser.add_argument("--cache-off", action="store_true", help="also run the chain with max_cached_workflows=0")
    parser.add_argument("--orders", type=ints, default=[100, 5000], help="orders queued in one database (default 100,5000)")
    parser.add_argument("--rss-orders", type=int, default=5000, help="orders a worker runs while its RSS is sampled")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="chain,queue,rss", help="which curves (default chain,queue,rss)")
    parser.add_argument("--rss-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child is not None:
        print(json.dumps(rss_child(args.rss_child)))
        return
    only = set(args.only.split(","))
    print(f"replay engine scale, {'sticky cache on by default' if HAS_CACHE else 'no sticky cache (replay from the top)'}; "
          "SQLite file, WAL, synchronous=NORMAL, virtual clock, one worker")
    if "chain" in only:
        bench_chain(sorted(set(args.chain + ([5000] if args.big else []))), args.repeat, args.cache_off)
    if "queue" in only:
        bench_queue(args.orders, args.repeat)
    if "rss" in only:
        bench_rss(args.rss_orders)


if __name__ == "__main__":
    main()
