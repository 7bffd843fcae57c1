"""Benchmark (not a test): the app's memory over many re-runs of the side-by-side view.

    .venv/bin/python bench/tui_memory.py [--reruns 100] [--warmup 10] [--keys | --tmux]

Drives the real app headless (Textual's run_test): opens the run view on ORDER #1001, then
re-runs it `reruns` times through the same path a user's keys take (cancel, crash, happy in
turn, each a fresh run of the three engines), and prints the process's resident memory after the
warm-up and at the end, and the growth. Target (the scale issue): within 10% over 100 re-runs.
With --trace it also prints the Python allocations that grew most (tracemalloc), to find a
leak's source; tracing costs memory of its own, so the RSS figures are only fair without it.

--keys re-runs the way a user does instead (the x, k and h keys, with the → step key between, and
the toasts left to expire by themselves); --tmux runs the real `workflow-canvas` in tmux at 80×24
(a real terminal driver, a real process) and reads that process's RSS from /proc: the closest to
how the growth was first seen (77 → 118 MB over 120 re-runs in tmux).
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


async def measure(reruns: int, warmup: int, trace: bool, keys: bool = False) -> None:
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
            if keys:
                await pilot.press("right", "right", "right", {"cancel": "x", "crash": "k", "happy": "h"}[scenarios[i % 3]])
                await settle(pilot)
                return
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


def measure_tmux(reruns: int, warmup: int) -> None:
    """The real app in tmux: `s` opens the run view, then x / k / h re-run it; RSS of its process."""
    import os
    import subprocess
    import tempfile
    import time

    cli = Path(sys.executable).with_name("workflow-canvas")
    sock = f"wc-mem-{os.getpid()}"
    home = tempfile.mkdtemp(prefix="wc-mem-")

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", sock, *args], check=True, capture_output=True, text=True).stdout

    def rss_of(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def settled() -> None:  # the three columns stop saying "running" once the engines are done
        time.sleep(0.3)
        deadline = time.monotonic() + 60
        while "running order-1001" in tmux("capture-pane", "-p", "-t", "wc") and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)

    tmux("new-session", "-d", "-s", "wc", "-x", "80", "-y", "24", "-e", f"WORKFLOW_CANVAS_HOME={home}",
         "-e", "TERM=xterm-256color", str(cli))
    try:
        pid = int(tmux("display", "-p", "-t", "wc", "#{pane_pid}").strip())
        time.sleep(3)
        tmux("send-keys", "-t", "wc", "s")
        settled()
        keys = ("x", "k", "h")
        curve = []
        base = 0.0
        for i in range(warmup + reruns):
            tmux("send-keys", "-t", "wc", "Right", "Right", "Right", keys[i % 3])
            settled()
            if i + 1 == warmup:
                base = rss_of(pid)
            elif i >= warmup and (i + 1 - warmup) % max(1, reruns // 5) == 0:
                curve.append((i + 1 - warmup, rss_of(pid)))
        end = rss_of(pid)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
    print(f"workflow-canvas in tmux, RSS over {reruns} re-runs by key (after {warmup} warm-up): "
          f"{base:.1f} MB -> {end:.1f} MB ({(end - base) / base * 100:+.1f}%; target within 10%)")
    for n, rss in curve:
        print(f"  {n:7d} {rss:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--trace", action="store_true", help="also trace Python allocations (costs memory itself)")
    parser.add_argument("--keys", action="store_true", help="re-run by the user's keys (x, k, h), toasts left to expire")
    parser.add_argument("--tmux", action="store_true", help="the real app in tmux at 80×24; RSS of its process")
    args = parser.parse_args()
    if args.tmux:
        measure_tmux(args.reruns, args.warmup)
        return
    asyncio.run(measure(args.reruns, args.warmup, args.trace, args.keys))


if __name__ == "__main__":
    main()
