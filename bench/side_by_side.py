"""Benchmark (not a test): wall time of `run order-1001 --scenario cancel --engine all`.

    .venv/bin/python bench/side_by_side.py [-n 7] [--workload order-1001] [--scenario cancel] [--no-cli]

Prints the median (and min/max) of `n` runs of:
  * each engine's run alone, in-process (`run_workload`): 30 virtual days of ORDER #1001;
  * all three side by side, in-process (`run_side_by_side`), what the app's canvas calls;
  * the whole CLI command in a fresh process (`workflow-canvas run … --engine all --json`),
    which adds interpreter start-up and imports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _times(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _line(label: str, times: list[float]) -> str:
    return (f"{label:<38} median {statistics.median(times) * 1000:8.1f} ms   "
            f"min {min(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=7, help="runs per figure (default 7)")
    ap.add_argument("--workload", default="order-1001")
    ap.add_argument("--scenario", default="cancel")
    ap.add_argument("--no-cli", action="store_true", help="skip the subprocess figure")
    args = ap.parse_args()

    from engines.trace import ENGINES
    from workloads.runner import run_side_by_side, run_workload

    run_side_by_side(args.workload, args.scenario)  # warm imports and caches once
    print(f"{args.workload} --scenario {args.scenario}, {args.n} runs each")
    for engine in ENGINES:
        print(_line(f"  {engine} (in-process)", _times(lambda e=engine: run_workload(args.workload, e, args.scenario), args.n)))
    print(_line("  all three (in-process)", _times(lambda: run_side_by_side(args.workload, args.scenario), args.n)))
    if not args.no_cli:
        exe = Path(sys.executable).with_name("workflow-canvas")
        cmd = ([str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli.main"]) + [
            "run", args.workload, "--scenario", args.scenario, "--engine", "all", "--json"]
        env = {**os.environ, "WORKFLOW_CANVAS_HOME": os.environ.get("WORKFLOW_CANVAS_HOME", "/tmp/wfc-bench-home")}

        def cli() -> None:
            subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True, timeout=120)

        print(_line("  CLI --engine all (new process)", _times(cli, args.n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
