"""Benchmark (not a test): how the DAG scheduler's cost grows with the number of tasks.

    .venv/bin/python bench/scale_dag.py [--sizes 1000,10000] [--shapes wide,diamond,layered,chain]
                                        [--repeat 3] [--duration 0] [--no-gc]

Four shapes of no-op PythonOperator tasks, each scheduled end to end as one `Scheduler.test()`
run on an SQLite metadata file (WAL, synchronous=NORMAL, the engine's own setting) and a
virtual clock, with Airflow's defaults (parallelism 32, max_active_tasks 16, default_pool 128):

  wide     one root, N-1 leaves (N-1 task instances ready at once, 16 at a time)
  diamond  one root, N-2 tasks in the middle, one sink waiting for all of them
  layered  layers of 100; each task waits for two tasks of the layer above
  chain    N tasks in a row

Each figure is one whole run (build the DAG, a new Scheduler, the run to its end, `grid()` and
`slot_seconds()`), repeated --repeat times interleaved (every shape and size once, then again):
min / median / max wall seconds, µs per task and this process's CPU seconds (other processes on
the machine inflate the wall time, less the CPU time), the ratio 10·N : N of the medians (the done
criterion: ten times the work costs at most about ten times the time), and the grid() and
slot_seconds() calls on their own. --no-gc turns Python's cyclic garbage collector off: a bigger
heap makes each of its full collections longer, which is most of what is left above ×10. --duration gives every task that many virtual seconds of work (then the scheduler
makes a pass and a commit per finished batch instead of one pass for the whole run).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.clock import EPOCH, VirtualClock  # noqa: E402
from engines.dag import DAG, PythonOperator, Scheduler  # noqa: E402


def _noop() -> None:
    return None


def wide(n: int, duration: float) -> DAG:
    with DAG(f"wide_{n}", default_args={"duration": duration}) as dag:
        root = PythonOperator("root", _noop)
        root >> [PythonOperator(f"t{i}", _noop) for i in range(n - 1)]
    return dag


def diamond(n: int, duration: float) -> DAG:
    with DAG(f"diamond_{n}", default_args={"duration": duration}) as dag:
        root = PythonOperator("root", _noop)
        middle = [PythonOperator(f"t{i}", _noop) for i in range(n - 2)]
        sink = PythonOperator("sink", _noop)
        root >> middle
        middle >> sink
    return dag


def layered(n: int, duration: float, width: int = 100) -> DAG:
    with DAG(f"layered_{n}", default_args={"duration": duration}) as dag:
        tasks = [PythonOperator(f"t{i}", _noop) for i in range(n)]
        for i in range(width, n):
            above = (i // width - 1) * width
            j = i % width
            tasks[above + j] >> tasks[i]
            tasks[above + (j + 1) % width] >> tasks[i]
    return dag


def chain(n: int, duration: float) -> DAG:
    with DAG(f"chain_{n}", default_args={"duration": duration}) as dag:
        tasks = [PythonOperator(f"t{i}", _noop) for i in range(n)]
        for a, b in zip(tasks, tasks[1:]):
            a >> b
    return dag


SHAPES: dict[str, Callable[[int, float], DAG]] = {"wide": wide, "diamond": diamond, "layered": layered, "chain": chain}


def one_run(shape: str, n: int, duration: float, workdir: Path, k: int) -> dict[str, float]:
    """Seconds for the whole run, and for grid() and slot_seconds() after it."""
    gc.collect()
    c0 = time.process_time()
    t0 = time.perf_counter()
    dag = SHAPES[shape](n, duration)
    s = Scheduler([dag], clock=VirtualClock(EPOCH), db=workdir / f"{shape}_{n}_{k}.db")
    run = s.test(dag.dag_id)
    t1 = time.perf_counter()
    grid = s.grid(run.run_id)
    t2 = time.perf_counter()
    slots = s.slot_seconds(run.run_id)
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    s.close()
    total = t3 - t0
    if run.state != "success" or len(grid) != n or len(slots) != n:
        raise SystemExit(f"{shape} {n}: run {run.state}, {len(grid)} grid rows, expected success and {n}")
    return {"total": total, "cpu": cpu, "run": t1 - t0, "grid": t2 - t1, "slot_seconds": t3 - t2}


def fmt(values: list[float], scale: float = 1.0, unit: str = "s", digits: int = 3) -> str:
    lo, med, hi = min(values), statistics.median(values), max(values)
    return f"{lo * scale:.{digits}f} / {med * scale:.{digits}f} / {hi * scale:.{digits}f} {unit}"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000", help="task counts, comma-separated (default 1000,10000)")
    ap.add_argument("--shapes", default=",".join(SHAPES), help=f"some of {','.join(SHAPES)}")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs per shape and size (default 3)")
    ap.add_argument("--duration", type=float, default=0.0, help="virtual seconds of work per task (default 0)")
    ap.add_argument("--no-gc", action="store_true",
                    help="turn Python's cyclic garbage collector off (shows how much of a curve is the collector)")
    args = ap.parse_args()
    if args.no_gc:
        gc.disable()
    sizes = [int(x) for x in args.sizes.split(",")]
    shapes = [x for x in args.shapes.split(",") if x]
    unknown = [x for x in shapes if x not in SHAPES]
    if unknown:
        ap.error(f"unknown shape(s) {', '.join(unknown)}; shapes: {', '.join(SHAPES)}")

    print(f"DAG scheduler scale: {', '.join(shapes)} at {', '.join(f'{n:,}' for n in sizes)} no-op tasks, "
          f"{args.duration:g} virtual s each; one Scheduler.test() run per figure on an SQLite file "
          f"(WAL, synchronous=NORMAL), parallelism 32, max_active_tasks 16; "
          f"{args.repeat} interleaved repeats, min / median / max"
          + ("; garbage collector OFF" if args.no_gc else ""))
    results: dict[tuple[str, int], list[dict[str, float]]] = {(s, n): [] for s in shapes for n in sizes}
    with tempfile.TemporaryDirectory(prefix="scale-dag-") as tmp:
        for k in range(args.repeat):
            for shape in shapes:
                for n in sizes:
                    results[(shape, n)].append(one_run(shape, n, args.duration, Path(tmp), k))

    for shape in shapes:
        print(f"\n{shape}")
        for n in sizes:
            rows = results[(shape, n)]
            totals = [r["total"] for r in rows]
            print(f"  {n:>7,} tasks: {fmt(totals)} wall ({fmt([t / n for t in totals], 1e6, 'µs/task', 0)}), "
                  f"CPU {fmt([r['cpu'] for r in rows])}; "
                  f"grid() {fmt([r['grid'] for r in rows], 1e3, 'ms', 1)}, "
                  f"slot_seconds() {fmt([r['slot_seconds'] for r in rows], 1e3, 'ms', 1)}")
        for small, big in zip(sizes, sizes[1:]):
            work = big / small
            ratios = []
            for what in ("total", "cpu"):
                a = statistics.median(r[what] for r in results[(shape, small)])
                b = statistics.median(r[what] for r in results[(shape, big)])
                ratios.append(b / a)
            verdict = "ok" if min(ratios) <= work * 1.2 else "SUPERLINEAR"
            print(f"  {small:,} → {big:,} tasks (×{work:g} the work): ×{ratios[0]:.1f} the wall time, "
                  f"×{ratios[1]:.1f} the CPU time (medians; ×{ratios[0] / work:.2f} / ×{ratios[1] / work:.2f} "
                  f"per task) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
