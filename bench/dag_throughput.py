"""Benchmark (not a test): the DAG engine against Airflow 3.3 on the same 3-task ETL DAG, like with like.

    .venv/bin/python bench/dag_throughput.py [--no-airflow] [--airflow-python PATH] [--rounds 3]
                                             [--warm-runs 15] [--synchronous NORMAL|FULL]

Two comparisons, each interleaved (ours, Airflow, ours, Airflow, ...), each side's figures as
min / median / max and the ratio Airflow : ours of each interleaved pair as min / median / max:

1. whole process against whole process: a fresh `python <dag file>` per run, timed from outside
   (interpreter start, imports, parsing the DAG file, one DAG run to its end, exit). Ours runs
   `Scheduler([dag]).test()` (what `airflow dags test` is to Airflow); Airflow runs `dag.test()`,
   its DAG file in its dags folder, AIRFLOW_HOME a temporary directory whose metadata database
   was initialised (`airflow db migrate`) before the first timed run, as ours was.
2. warm in-process against warm in-process: one long-lived process per side that imported
   everything, parsed the DAG and made one run (not timed); then each timed run is one
   `dag.test()` (Airflow) or one `Scheduler.test()` on the open scheduler (ours), timed inside
   that process; the two processes take turns, one run each.

Both sides keep their metadata in an SQLite file in WAL mode with the same `synchronous`
(default NORMAL, the DAG engine's own; Airflow's own is FULL, so its connections get
`PRAGMA synchronous=NORMAL` through an SQLAlchemy connect listener; with --synchronous FULL ours
is set to FULL instead). Each process reports the setting it really ran with, and this prints it.

Airflow is found in its own venv: --airflow-python, else $AIRFLOW_PYTHON, else
/work/peers/airflow-venv/bin/python (`python3 -m venv /work/peers/airflow-venv &&
/work/peers/airflow-venv/bin/pip install "apache-airflow==3.3.2"`); without it only our side
runs and a line says so. How the engine's cost grows with the DAG's size: bench/scale_dag.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_AIRFLOW_PYTHON = "/work/peers/airflow-venv/bin/python"
MARK = "@@BENCH "  # result lines; everything else a process prints (Airflow logs a lot) is ignored

# --- the two DAG files: the same three tasks, the same retries, XCom between them ----------------
OURS_DAG = textwrap.dedent('''
    import json, os, sys, time
    sys.path.insert(0, {root!r})
    from engines.clock import EPOCH, VirtualClock
    from engines.dag import DAG, PythonOperator, Scheduler

    def extract(): return [1, 2, 3]
    def transform(ti): return [x * 10 for x in ti.xcom_pull(task_ids="extract")]
    def load(ti): return sum(ti.xcom_pull(task_ids="transform"))

    with DAG("nightly_etl", schedule=None, default_args={{"retries": 3, "retry_delay": 1}}) as dag:
        e = PythonOperator("extract", extract)
        t = PythonOperator("transform", transform)
        l = PythonOperator("load", load)
        e >> t >> l

    def scheduler(db):
        s = Scheduler([dag], clock=VirtualClock(EPOCH), db=db)
        sync = os.environ.get("BENCH_SQLITE_SYNCHRONOUS", "NORMAL")
        s.meta.store.conn.execute(f"PRAGMA synchronous = {{sync}}")
        return s

    def pragmas(s):
        c = s.meta.store.conn
        return {{"synchronous": c.execute("PRAGMA synchronous").fetchone()[0],
                "journal_mode": c.execute("PRAGMA journal_mode").fetchone()[0]}}

    if __name__ == "__main__":
        s = scheduler(sys.argv[1])
        run = s.test("nightly_etl")
        print({mark!r} + json.dumps({{"state": str(run.state), **pragmas(s)}}), flush=True)
        s.close()
''')

AIRFLOW_DAG = textwrap.dedent('''
    import json, os, sys, time
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    SYNC = os.environ.get("BENCH_SQLITE_SYNCHRONOUS")
    if SYNC:  # registered before Airflow creates its engines, so every connection gets it
        @event.listens_for(Engine, "connect")
        def _synchronous(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA synchronous = {{SYNC}}")
            cursor.close()

    from datetime import datetime, timedelta
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.python import PythonOperator

    def extract(): return [1, 2, 3]
    def transform(ti): return [x * 10 for x in ti.xcom_pull(task_ids="extract")]
    def load(ti): return sum(ti.xcom_pull(task_ids="transform"))

    with DAG("nightly_etl", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
             default_args={{"retries": 3, "retry_delay": timedelta(seconds=1)}}) as dag:
        e = PythonOperator(task_id="extract", python_callable=extract)
        t = PythonOperator(task_id="transform", python_callable=transform)
        l = PythonOperator(task_id="load", python_callable=load)
        e >> t >> l

    def pragmas():
        from airflow import settings
        with settings.engine.connect() as c:
            return {{"synchronous": c.exec_driver_sql("PRAGMA synchronous").scalar(),
                    "journal_mode": c.exec_driver_sql("PRAGMA journal_mode").scalar()}}

    if __name__ == "__main__":
        run = dag.test()
        print({mark!r} + json.dumps({{"state": str(run.state), **pragmas()}}), flush=True)
''')

# --- a warm worker: import the DAG file once, one untimed run, then one timed run per "run" line ---
WORKER = textwrap.dedent('''
    import importlib.util, json, sys, time
    spec = importlib.util.spec_from_file_location("bench_dag", sys.argv[1])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    side = sys.argv[2]
    if side == "ours":
        s = mod.scheduler(sys.argv[3])
        one = lambda: s.test("nightly_etl")
        pragmas = lambda: mod.pragmas(s)
    else:
        one = mod.dag.test
        pragmas = mod.pragmas
    state = str(one().state)  # warm-up: the first run is not timed
    print({mark!r} + json.dumps({{"ready": state, **pragmas()}}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t0 = time.perf_counter()
        run = one()
        dt = time.perf_counter() - t0
        print({mark!r} + json.dumps({{"seconds": dt, "state": str(run.state)}}), flush=True)
''')

SYNC_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def airflow_python(explicit: str | None) -> str | None:
    """The peer's python: the flag, else $AIRFLOW_PYTHON, else the default venv; None if it is absent."""
    candidate = explicit or os.environ.get("AIRFLOW_PYTHON") or DEFAULT_AIRFLOW_PYTHON
    return candidate if Path(candidate).exists() else None


def read_mark(stream: IO[str]) -> dict[str, Any]:
    """The next result line a process printed (skipping its logs)."""
    for line in stream:
        if line.startswith(MARK):
            result: dict[str, Any] = json.loads(line[len(MARK):])
            return result
    raise RuntimeError("the process ended without a result")


def stats(values: list[float], scale: float = 1.0, unit: str = "s", digits: int = 3) -> str:
    return (f"{min(values) * scale:.{digits}f} / {statistics.median(values) * scale:.{digits}f} / "
            f"{max(values) * scale:.{digits}f} {unit}")


def ratio_line(ours: list[float], peer: list[float]) -> str:
    pairs = [p / o for o, p in zip(ours, peer)]
    return (f"ratio Airflow : ours per interleaved pair ×{min(pairs):,.0f} / ×{statistics.median(pairs):,.0f} / "
            f"×{max(pairs):,.0f} (min / median / max)")


def setting(result: dict[str, Any]) -> str:
    sync = result.get("synchronous")
    return f"journal_mode={result.get('journal_mode')}, synchronous={SYNC_NAMES.get(sync, sync)}"


class Side:
    """One side of the comparison: its python, its DAG file, its environment."""

    def __init__(self, name: str, python: str, dag_file: Path, env: dict[str, str], db: Path | None) -> None:
        self.name, self.python, self.dag_file, self.env, self.db = name, python, dag_file, env, db
        self.log = dag_file.with_suffix(".log")

    def argv(self) -> list[str]:
        return [self.python, str(self.dag_file)] + ([str(self.db)] if self.db else [])

    def cold(self) -> tuple[float, dict[str, Any]]:
        """Wall seconds of one whole process, and what it reported."""
        t0 = time.perf_counter()
        with self.log.open("a") as log:
            proc = subprocess.run(self.argv(), env=self.env, stdout=subprocess.PIPE, stderr=log, text=True,
                                  timeout=600)
        wall = time.perf_counter() - t0
        results = [json.loads(x[len(MARK):]) for x in proc.stdout.splitlines() if x.startswith(MARK)]
        if proc.returncode != 0 or not results or results[-1].get("state") != "success":
            raise RuntimeError(f"{self.name}: the run failed (exit {proc.returncode}); see {self.log}")
        return wall, results[-1]

    def worker(self, worker_file: Path) -> subprocess.Popen[str]:
        argv = [self.python, str(worker_file), str(self.dag_file), self.name] + ([str(self.db)] if self.db else [])
        log = self.log.open("a")
        return subprocess.Popen(argv, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                text=True, bufsize=1)


def warm_run(proc: subprocess.Popen[str]) -> float:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("run\n")
    proc.stdin.flush()
    result = read_mark(proc.stdout)
    if result.get("state") != "success":
        raise RuntimeError(f"a warm run ended {result.get('state')}")
    return float(result["seconds"])


def stop(proc: subprocess.Popen[str]) -> None:
    try:
        if proc.stdin is not None:
            proc.stdin.write("quit\n")
            proc.stdin.close()
        proc.wait(timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--no-airflow", action="store_true", help="our side only")
    ap.add_argument("--airflow-python", help=f"the peer's python (default $AIRFLOW_PYTHON or {DEFAULT_AIRFLOW_PYTHON})")
    ap.add_argument("--rounds", type=int, default=3, help="whole-process runs per side, interleaved (default 3)")
    ap.add_argument("--warm-runs", type=int, default=15, help="warm in-process runs per side, interleaved (default 15)")
    ap.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL",
                    help="SQLite synchronous setting for both sides (default NORMAL)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dag-throughput-"))
    try:
        env = {**os.environ, "BENCH_SQLITE_SYNCHRONOUS": args.synchronous}
        ours_dir = tmp / "ours"
        ours_dir.mkdir()
        ours_file = ours_dir / "etl.py"
        ours_file.write_text(OURS_DAG.format(root=str(ROOT), mark=MARK))
        worker_file = tmp / "worker.py"
        worker_file.write_text(WORKER.format(mark=MARK))
        sides = [Side("ours", sys.executable, ours_file, env, ours_dir / "metadata.db")]

        python = None if args.no_airflow else airflow_python(args.airflow_python)
        if python is None:
            why = "--no-airflow" if args.no_airflow else (
                f"no python at {args.airflow_python or os.environ.get('AIRFLOW_PYTHON') or DEFAULT_AIRFLOW_PYTHON}; "
                "set --airflow-python or $AIRFLOW_PYTHON")
            print(f"Airflow: skipped ({why}); our side only")
        else:
            home = tmp / "airflow-home"
            dags = home / "dags"
            dags.mkdir(parents=True)
            (dags / "etl.py").write_text(AIRFLOW_DAG.format(mark=MARK))
            af_env = {**env, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                      "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                      "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}
            print(f"Airflow: {python}; initialising its metadata database (airflow db migrate, not timed) ...",
                  flush=True)
            subprocess.run([python, "-m", "airflow", "db", "migrate"], env=af_env, check=True,
                           capture_output=True, timeout=600)
            sides.append(Side("airflow", python, dags / "etl.py", af_env, None))
        # our metadata file is initialised before the first timed run too (one untimed run)
        sides[0].cold()

        print(f"\nThe same 3-task ETL DAG (extract >> transform >> load, XCom between them, retries=3), "
              f"metadata in SQLite files, synchronous={args.synchronous} on both sides.")
        print(f"\n1. whole process vs whole process: a fresh python per run, {args.rounds} interleaved rounds")
        cold: dict[str, list[float]] = {s.name: [] for s in sides}
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(args.rounds):
            for side in sides:
                wall, result = side.cold()
                cold[side.name].append(wall)
                seen[side.name] = result
        for side in sides:
            print(f"  {side.name:>7}: {stats(cold[side.name])} wall ({setting(seen[side.name])})")
        if len(sides) == 2:
            print(f"  {ratio_line(cold['ours'], cold['airflow'])}")

        print(f"\n2. warm in-process vs warm in-process: one process per side, warmed by one untimed run, "
              f"{args.warm_runs} runs each, taking turns")
        workers = [side.worker(worker_file) for side in sides]
        try:
            for side, proc in zip(sides, workers):
                assert proc.stdout is not None
                seen[side.name] = read_mark(proc.stdout)
            warm: dict[str, list[float]] = {s.name: [] for s in sides}
            for _ in range(args.warm_runs):
                for side, proc in zip(sides, workers):
                    warm[side.name].append(warm_run(proc))
        finally:
            for proc in workers:
                stop(proc)
        for side in sides:
            print(f"  {side.name:>7}: {stats(warm[side.name], 1e3, 'ms', 2)} per DAG run ({setting(seen[side.name])})")
        if len(sides) == 2:
            line = ratio_line(warm["ours"], warm["airflow"])
            median = statistics.median(p / o for o, p in zip(warm["ours"], warm["airflow"]))
            print(f"  {line}; target ≥ ×100 warm in-process: {'met' if median >= 100 else 'MISSED'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
