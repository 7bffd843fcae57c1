"""Workload F's batch-1000 on all three engines: wall time, outputs and worker-slot time compared.

    .venv/bin/python bench/thumbnails_batch.py [-n 3] [--db memory|file]

Each round runs batch-1000 once per engine (the engine order rotates round by round, so no
engine always runs first or last), each on a fresh database: in memory by default, or a real
file in a temporary directory with `--db file`. Printed per engine: min / median / max wall
seconds, CPU seconds (median; the machine may be shared), the outputs the image store holds
and the run's slot_seconds; then the same for the three together, against issue 14's bar
("the 1,000-upload scenario runs on all three engines in under 10 s together"). A round whose
store does not hold 6,000 outputs stops the benchmark: a fast wrong answer is not a result.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from workloads.options import RunOptions
from workloads.runs import WorkloadRun
from workloads.thumbnails import dag, replay, statemachine
from workloads.thumbnails.observations import ThumbnailObservations

VERSIONS = {"replay": replay.WORKLOAD, "dag": dag.WORKLOAD, "statemachine": statemachine.WORKLOAD}
BAR_SECONDS = 10.0
SCENARIO = "batch-1000"


def once(engine: str, db: str | Path) -> tuple[float, float, WorkloadRun]:
    wall, cpu = time.perf_counter(), time.process_time()
    run = VERSIONS[engine].run(SCENARIO, RunOptions(db=db))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    counts = run.observed_as(ThumbnailObservations).counts
    if counts.get("outputs") != 6000 or run.outcome.status != "completed":
        raise SystemExit(f"{engine}: {run.outcome.status}, {counts} — {run.outcome.problems[:3]}")
    return wall, cpu, run


def line(name: str, walls: list[float], cpus: list[float], extra: str = "") -> str:
    return (f"{name:<13} min {min(walls):6.2f} s  median {statistics.median(walls):6.2f} s  max {max(walls):6.2f} s  "
            f"cpu {statistics.median(cpus):6.2f} s{extra}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=3, help="rounds (each runs every engine once)")
    ap.add_argument("--db", choices=("memory", "file"), default="memory", help="where each run's database lives")
    args = ap.parse_args()
    engines = list(VERSIONS)
    walls: dict[str, list[float]] = {e: [] for e in engines}
    cpus: dict[str, list[float]] = {e: [] for e in engines}
    last: dict[str, WorkloadRun] = {}
    totals: list[float] = []
    total_cpus: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.n):
            order = engines[r % 3:] + engines[:r % 3]
            round_wall = round_cpu = 0.0
            for engine in order:
                db: str | Path = ":memory:" if args.db == "memory" else Path(tmp) / f"{engine}-{r}.db"
                wall, cpu, run = once(engine, db)
                walls[engine].append(wall)
                cpus[engine].append(cpu)
                last[engine] = run
                round_wall += wall
                round_cpu += cpu
            totals.append(round_wall)
            total_cpus.append(round_cpu)
    for engine in engines:
        run = last[engine]
        o = run.outcome
        seen = run.observed_as(ThumbnailObservations)
        print(line(engine, walls[engine], cpus[engine],
                   f"  outputs {seen.counts['outputs']:,}  slot_seconds {o.slot_seconds:,.0f}  events {o.events:,}  "
                   f"runs {seen.workflows:,}  largest history {seen.largest_history:,}"))
    print(line("all three", totals, total_cpus,
               f"  bar {BAR_SECONDS:.0f} s: {'met' if statistics.median(totals) < BAR_SECONDS else 'NOT met'} (median)"))


if __name__ == "__main__":
    main()
