"""Benchmark (not a test): the DAG engine's scheduling overhead per task.

Prints: the nightly ETL DAG (3 tasks) end to end; layered DAGs of 1,000 to 10,000 no-op tasks
scheduled end to end (how the cost per task grows); and, when Airflow 3.3 is at hand (importable
here, or in the venv named by $AIRFLOW_PYTHON / /work/peers/airflow-venv), Airflow's own
`dag.test()` on the same ETL DAG in a subprocess, and the ratio. Airflow is never needed by the
app or the tests.

    .venv/bin/python bench/dag_throughput.py [--no-airflow] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from engines.clock import EPOCH, VirtualClock
from engines.dag import DAG, PythonOperator, Scheduler

PEER_PYTHON = Path("/work/peers/airflow-venv/bin/python")


def etl_dag() -> DAG:
    with DAG("nightly_etl", schedule=None, default_args={"retries": 3, "retry_delay": 1}) as dag:
        e = PythonOperator("extract", lambda: [1, 2, 3])
        t = PythonOperator("transform", lambda ti: [x * 10 for x in ti.xcom_pull(task_ids="extract")])
        ld = PythonOperator("load", lambda ti: sum(ti.xcom_pull(task_ids="transform")))
        e >> t >> ld
    return dag


def layered_dag(n: int, width: int = 100) -> DAG:
    """`n` no-op tasks in layers of `width`; each task waits for two tasks of the layer above."""
    with DAG(f"layered_{n}") as dag:
        tasks = [PythonOperator(f"t{i}", _noop) for i in range(n)]
        for i in range(width, n):
            layer_start = (i // width - 1) * width
            j = i % width
            tasks[layer_start + j].set_downstream(tasks[i])
            tasks[layer_start + (j + 1) % width].set_downstream(tasks[i])
    return dag


def _noop() -> None:
    return None


def time_run(build, repeat: int) -> tuple[float, str]:
    """Median wall seconds for build + a Scheduler + one DAG run to completion (in-memory metadata)."""
    times = []
    state = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        dag = build()
        s = Scheduler([dag], clock=VirtualClock(EPOCH))
        state = s.test(dag.dag_id).state
        times.append(time.perf_counter() - t0)
        s.close()
    return statistics.median(times), state


AIRFLOW_ETL = textwrap.dedent('''
    import time
    t0 = time.perf_counter()
    from datetime import datetime, timedelta
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.python import PythonOperator
    def extract(): return [1, 2, 3]
    def transform(ti): return [x * 10 for x in ti.xcom_pull(task_ids="extract")]
    def load(ti): return sum(ti.xcom_pull(task_ids="transform"))
    with DAG("nightly_etl", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
             default_args={"retries": 3, "retry_delay": timedelta(seconds=1)}) as dag:
        e = PythonOperator(task_id="extract", python_callable=extract)
        t = PythonOperator(task_id="transform", python_callable=transform)
        l = PythonOperator(task_id="load", python_callable=load)
        e >> t >> l
    if __name__ == "__main__":
        run = dag.test()
        print("STATE", run.state, "WALL", time.perf_counter() - t0)
''')


def airflow_python() -> str | None:
    explicit = os.environ.get("AIRFLOW_PYTHON")
    if explicit:
        return explicit
    try:
        import airflow  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    return str(PEER_PYTHON) if PEER_PYTHON.exists() else None


def run_airflow(python: str, repeat: int) -> list[float]:
    """Wall seconds of `python etl.py` (dag.test()) in a fresh AIRFLOW_HOME, `airflow db migrate` done first."""
    home = Path(tempfile.mkdtemp(prefix="airflow-home-"))
    try:
        dags = home / "dags"
        dags.mkdir()
        (dags / "etl.py").write_text(AIRFLOW_ETL)
        env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
        subprocess.run([python, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        walls = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            proc = subprocess.run([python, str(dags / "etl.py")], env=env, capture_output=True, text=True, timeout=600)
            wall = time.perf_counter() - t0
            if proc.returncode != 0 or "STATE" not in proc.stdout:
                print("  airflow dag.test() failed:", (proc.stderr or proc.stdout)[-400:])
                return walls
            walls.append(wall)
        return walls
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-airflow", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    etl_s, state = time_run(etl_dag, args.repeat * 4)
    print(f"ETL DAG (3 tasks): {etl_s * 1000:.2f} ms end to end ({state}), {etl_s / 3 * 1e6:.0f} µs per task")

    per_task = {}
    for n in (1_000, 2_000, 5_000, 10_000):
        secs, state = time_run(lambda n=n: layered_dag(n), max(1, args.repeat // 2))
        per_task[n] = secs / n
        print(f"{n:>6}-task DAG: {secs:.3f} s end to end ({state}), {secs / n * 1e6:.0f} µs per task")
    growth = per_task[10_000] / per_task[1_000]
    print(f"growth 1,000 → 10,000 tasks: ×{growth:.2f} per-task cost (1.0 = linear)")
    print(f"target: 10,000 tasks under 2 s: {'met' if per_task[10_000] * 10_000 < 2 else 'MISSED'}")

    if args.no_airflow:
        return 0
    python = airflow_python()
    if python is None:
        print("Airflow not found (pip install apache-airflow==3.3.* into its own venv; set AIRFLOW_PYTHON): ratio skipped")
        return 0
    walls = run_airflow(python, repeat=3)
    if walls:
        airflow_s = statistics.median(walls)
        print(f"Airflow dag.test() on the same ETL DAG: {', '.join(f'{w:.2f}' for w in walls)} s wall; median {airflow_s:.2f} s")
        print(f"ratio: this engine is ×{airflow_s / etl_s:,.0f} faster on the ETL DAG (target ≥ ×100)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
