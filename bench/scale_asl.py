"""Benchmark (not a test): how the ASL engine's time grows with a Map's size.

    .venv/bin/python bench/scale_asl.py [-n 500] [--repeat 3] [--big] [--db file|memory] [--shapes map-pass,...]

For each shape, one execution of N items and one of 10·N items (default 500 and 5,000; `--big`
adds 10,000), each sample in a fresh process, warm (the engine built, the state machine created
and a 10-item execution run before the timed one), the sizes interleaved (N, 10·N, N, 10·N, …).
It prints min/median/max seconds per size, the 10·N / N ratio (min/median/max over the
interleaved pairs) and the done criterion: ten times the work costs at most about ten times the
time (ratio ≤ ~10), and 10,000 items finish in under 5 s. The timed part is StartExecution until
the execution has ended (on a virtual clock, so Wait states cost no real time), durable on an
SQLite file (WAL, synchronous=NORMAL, a commit per transition) unless `--db memory`.

Shapes: map-pass (an inline Map, every item a Pass state, all items at once), map-task-c40 (an
inline Map with MaxConcurrency 40, every item a Task calling a Python function, then a Choice),
map-wait (every item waits 60 virtual seconds, so every item arms and fires a timer).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
SHAPES: dict[str, dict] = {
    "map-pass": {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"d.$": "$"}, "End": True}}}}}},
    "map-task-c40": {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 40, "ResultPath": "$.out", "OutputPath": "$.out",
        "End": True,
        "ItemProcessor": {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": LAMBDA + "Double", "ResultPath": "$.r", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.r.v", "NumericGreaterThan": -1, "Next": "Ok"}],
                  "Default": "Ok"},
            "Ok": {"Type": "Pass", "OutputPath": "$.r.v", "End": True}}}}}},
    "map-wait": {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemSelector": {"v.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}}}},
}


def item_input(shape: str, n: int) -> dict:
    if shape == "map-task-c40":
        return {"items": [{"v": i} for i in range(n)]}
    return {"items": list(range(n))}


def child(shape: str, n: int, db: str) -> None:
    """One sample: a warm engine, one timed execution of `n` items; prints JSON."""
    from engines.clock import EPOCH, VirtualClock
    from engines.statemachine import Engine, Resources

    resources = Resources().register("Double", lambda p, c: {"v": p["v"] * 2})
    with tempfile.TemporaryDirectory() as d:
        engine = Engine(":memory:" if db == "memory" else Path(d) / "scale.db", VirtualClock(EPOCH), resources)
        engine.create_state_machine(shape, SHAPES[shape])
        engine.start_execution(shape, item_input(shape, 10))
        engine.run_until_idle()
        t = time.perf_counter()
        arn = engine.start_execution(shape, item_input(shape, n))
        engine.run_until_idle()
        seconds = time.perf_counter() - t
        d2 = engine.describe_execution(arn)
        out = d2["output"]
        ok = d2["status"] == "SUCCEEDED" and isinstance(out, list) and len(out) == n
        print(json.dumps({"seconds": seconds, "ok": ok, "status": d2["status"]}))


def sample(shape: str, n: int, db: str) -> float:
    proc = subprocess.run([sys.executable, __file__, "--child", shape, str(n), db], capture_output=True, text=True,
                          cwd=ROOT, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"{shape} n={n}: the sample failed:\n{proc.stderr}")
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    if not r["ok"]:
        raise SystemExit(f"{shape} n={n}: the execution did not succeed with {n} results ({r['status']})")
    return float(r["seconds"])


def mmm(xs: list[float], fmt: str = "{:.3f}") -> str:
    return "/".join(fmt.format(x) for x in (min(xs), statistics.median(xs), max(xs)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=500, help="the small size N (the big one is 10·N)")
    ap.add_argument("--repeat", type=int, default=3, help="samples per size (interleaved)")
    ap.add_argument("--big", action="store_true", help="also time 10,000 items (target: under 5 s)")
    ap.add_argument("--db", choices=("file", "memory"), default="file")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated, from: " + ", ".join(SHAPES))
    ap.add_argument("--child", nargs=3, metavar=("SHAPE", "N", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    n, big = args.n, 10 * args.n
    print(f"ASL engine, Map of N and 10·N items: seconds from StartExecution to the end of the execution, warm, "
          f"each sample a fresh process, {args.repeat} interleaved samples per size, "
          f"{'SQLite file (WAL, synchronous=NORMAL)' if args.db == 'file' else 'in-memory SQLite'}")
    print(f"{'shape':<14} {'N':>6} {'s min/med/max':>22} {'10N':>6} {'s min/med/max':>22} "
          f"{'ratio min/med/max':>20}  us/item at 10N")
    for shape in args.shapes.split(","):
        small: list[float] = []
        large: list[float] = []
        for _ in range(args.repeat):
            small.append(sample(shape, n, args.db))
            large.append(sample(shape, big, args.db))
        ratios = [b / a for a, b in zip(small, large)]
        verdict = "ok" if statistics.median(ratios) <= 11 else "superlinear"
        print(f"{shape:<14} {n:>6} {mmm(small):>22} {big:>6} {mmm(large):>22} {mmm(ratios, '{:.1f}'):>20}  "
              f"{statistics.median(large) / big * 1e6:.0f}  {verdict}")
        if args.big and big != 10_000:
            tenk = [sample(shape, 10_000, args.db) for _ in range(args.repeat)]
            print(f"{shape:<14} 10,000 items: {mmm(tenk)} s (target: under 5 s: "
                  f"{'met' if statistics.median(tenk) < 5 else 'not met'})")


if __name__ == "__main__":
    main()
