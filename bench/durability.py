"""Benchmark (not a test): the price of `--durable` (SQLite synchronous=FULL) against the default (NORMAL).

    .venv/bin/python bench/durability.py [--rounds 7] [--commits 300] [--workflows 10] [--dir DIR]

WAL with synchronous=NORMAL syncs the WAL only at checkpoints: a killed process loses nothing
committed, a power cut can lose the last commits. FULL syncs the WAL at every commit, which is
what "one durable write per event" means on a power cut. Two measures, each on real files in
--dir (default: a temporary directory on this machine's disk — a tmpfs would make fsync free and
the comparison meaningless; the script says which file system it used):

1. commits per second: one small transaction per commit (a history event's size), on a store
   opened with `durable=False` and one with `durable=True`;
2. workflows per second: ORDER #1001's happy path on the replay engine (server, worker,
   services, one commit per event), the whole run inside `durable_writes(on)`.

Samples alternate NORMAL, FULL, FULL, NORMAL, … so that load from other processes falls on both
alike; each line gives min/median/max over the rounds and the ratio NORMAL/FULL of the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.store import Store, durable_writes  # noqa: E402


def commits_per_second(directory: Path, durable: bool, commits: int, tag: str) -> float:
    path = directory / f"commits-{tag}.db"
    with Store(path, durable=durable) as store:
        store.ensure_schema("bench", 1, "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")
        body = "x" * 300  # about one history event
        start = time.perf_counter()
        for _ in range(commits):
            with store.transaction() as c:
                c.execute("INSERT INTO events (body) VALUES (?)", (body,))
        elapsed = time.perf_counter() - start
    _remove(path)
    return commits / elapsed


def workflows_per_second(directory: Path, durable: bool, workflows: int, tag: str) -> float:
    from workloads.order_1001.replay import run

    start = time.perf_counter()
    for i in range(workflows):
        path = directory / f"wf-{tag}-{i}.db"
        with durable_writes(durable):
            result = run("happy", db=path)
        assert result.outcome.shipped == 1, "the happy path must ship"
        _remove(path)
    return workflows / (time.perf_counter() - start)


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


def _filesystem(directory: Path) -> str:
    try:
        out = subprocess.run(["df", "-T", str(directory)], capture_output=True, text=True, check=True).stdout
        return out.splitlines()[-1].split()[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "unknown"


def _line(name: str, samples: list[float], unit: str) -> str:
    return (f"{name:<28} {unit}: min {min(samples):9.1f}  median {statistics.median(samples):9.1f}  "
            f"max {max(samples):9.1f}   (n={len(samples)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--commits", type=int, default=300, help="commits per sample")
    parser.add_argument("--workflows", type=int, default=10, help="ORDER #1001 runs per sample")
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        directory = Path(tmp)
        print(f"files in {directory} ({_filesystem(directory)}), {os.cpu_count()} CPUs, SQLite "
              f"{__import__('sqlite3').sqlite_version}, {args.rounds} interleaved rounds")
        results: dict[str, dict[bool, list[float]]] = {"commits": {False: [], True: []}, "workflows": {False: [], True: []}}
        for r in range(args.rounds):
            order = (False, True) if r % 2 == 0 else (True, False)
            for durable in order:
                tag = f"{r}-{int(durable)}"
                results["commits"][durable].append(commits_per_second(directory, durable, args.commits, tag))
            for durable in order:
                tag = f"{r}-{int(durable)}"
                results["workflows"][durable].append(workflows_per_second(directory, durable, args.workflows, tag))
        for what, unit in (("commits", "commits/s"), ("workflows", "workflows/s")):
            normal, full = results[what][False], results[what][True]
            print(_line(f"{what}, NORMAL (default)", normal, unit))
            print(_line(f"{what}, FULL (--durable)", full, unit))
            ratios = sorted(n / f for n, f in zip(normal, full))
            print(f"{'':<28} NORMAL/FULL per round: min {ratios[0]:.2f}  median {statistics.median(ratios):.2f}  "
                  f"max {ratios[-1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
