"""Benchmark (not a test): the app's memory over many re-runs of the side-by-side view.

    .venv/bin/python bench/tui_memory.py [--reruns 100] [--warmup 10]

Drives the real app headless (Textual's run_test): opens the run view on ORDER #1001, then
re-runs it `reruns` times through the same path a user's keys take (cancel, crash, happy in
turn, each a fresh run of the three engines), and prints the process's resident memory after the
warm-up and at the end, and the growth. Target (the scale issue): within 10% over 100 re-runs.
With --trace it also prints the Python allocations that grew most (tracemalloc), to find a
leak's source; tracing costs memory of its own, so the RSS figures are only fair without it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def measure(reruns: int, warmup: int, trace: bool) -> None:
    from app.canvas_app import WorkflowCanvasApp
    from app.screenshot import settle

    app = WorkflowCanvasApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.open_run("order-1001", "happy")
        await settle(pilot)
        screen = app.screen
        scenarios = ("cancel", "crash", "happy")

        async def rerun(i: int) -> None:
            screen.load("order-1001", scenarios[i % 3], 3.0 if scenarios[i % 3] != "happy" else None)  # type: ignore[attr-defined]
            await settle(pilot)
            app.clear_notifications()

        for i in range(warmup):
            await rerun(i)
        gc.collect()
        base = rss_mb()
        if trace:
            tracemalloc.start(10)
            snap0 = tracemalloc.take_snapshot()
        curve = []
        for i in range(reruns):
            await rerun(i)
            if (i + 1) % max(1, reruns // 5) == 0:
                gc.collect()
                curve.append((i + 1, rss_mb(), tracemalloc.get_traced_memory()[0] / 1e6 if trace else float("nan")))
        gc.collect()
        end = rss_mb()
        snap1 = tracemalloc.take_snapshot() if trace else None
    growth = (end - base) / base * 100
    print(f"TUI resident memory over {reruns} side-by-side re-runs (after {warmup} warm-up): "
          f"{base:.1f} MB -> {end:.1f} MB ({growth:+.1f}%; target within 10%)")
    print("  re-runs   RSS MB   python heap traced MB (--trace)")
    for n, rss, heap in curve:
        print(f"  {n:7d} {rss:8.1f} {heap:10.2f}")
    if snap1 is None:
        return
    print("python allocations that grew most (tracemalloc, top 5):")
    for stat in snap1.compare_to(snap0, "traceback")[:5]:
        frame = stat.traceback[-1]
        print(f"  {stat.size_diff / 1024:+9.1f} KiB  {stat.count_diff:+7d} blocks  {frame.filename}:{frame.lineno}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--trace", action="store_true", help="also trace Python allocations (costs memory itself)")
    args = parser.parse_args()
    asyncio.run(measure(args.reruns, args.warmup, args.trace))


if __name__ == "__main__":
    main()
