"""A scheduler process for the DAG crash matrix (tests/dag/test_crash_matrix.py).

    python -m tests.dag.crash_worker DB EFFECTS [--pause-at POINT]

Runs (or continues) the `crashy` DAG on the metadata database DB. Every task appends
"task_id try_number" to EFFECTS (O_APPEND: a line survives a SIGKILL of this process) — the
effect the matrix counts. With --pause-at the process prints PAUSED and waits to be killed at
that point: `before:T` (T's try is running, its code has not run), `effect:T` (its effect is
written, the try not yet reported), `success:T` (T's success is committed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta

from engines.clock import EPOCH, VirtualClock
from engines.dag import DAG, PythonOperator, Scheduler

TASKS = [f"t{i:02d}" for i in range(12)]
#: a diamond-ish shape: two chains that meet, fan out and meet again
EDGES = [("t00", "t01"), ("t00", "t02"), ("t01", "t03"), ("t02", "t03"), ("t03", "t04"), ("t03", "t05"),
         ("t03", "t06"), ("t04", "t07"), ("t05", "t07"), ("t06", "t08"), ("t07", "t09"), ("t08", "t09"),
         ("t09", "t10"), ("t10", "t11")]
RETRIES = 3


def build(effects: str, pause_at: str | None = None, task_seconds: float = 0.002) -> DAG:
    def work(ti):
        if pause_at == f"before:{ti.task_id}":
            _pause()
        fd = os.open(effects, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{ti.task_id} {ti.try_number}\n".encode())
        finally:
            os.close(fd)
        if pause_at == f"effect:{ti.task_id}":
            _pause()
        time.sleep(task_seconds)  # real time, so a kill at a random moment lands inside the run
        return ti.try_number

    with DAG("crashy", default_args={"retries": RETRIES, "retry_delay": timedelta(seconds=10)}) as dag:
        ops = {t: PythonOperator(task_id=t, python_callable=work) for t in TASKS}
        for up, down in EDGES:
            ops[up] >> ops[down]
    return dag


def _pause() -> None:
    print("PAUSED", flush=True)
    while True:
        time.sleep(60)


def run(db: str, effects: str, pause_at: str | None = None) -> Scheduler:
    dag = build(effects, pause_at)

    def listener(event) -> None:
        if pause_at == f"success:{event.subject}" and event.kind == "TaskInstance success":
            _pause()  # emitted after the success is committed

    s = Scheduler([dag], db=db, clock=VirtualClock(EPOCH), listener=listener)
    print("STARTED", flush=True)
    run_ = s.runs[next(iter(s.runs))] if s.runs else s.trigger_dag("crashy", run_id="crashy_run")
    s.run_until_done(run_.run_id)
    return s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("effects")
    ap.add_argument("--pause-at")
    args = ap.parse_args()
    s = run(args.db, args.effects, args.pause_at)
    print("DONE", s.dag_run().state, flush=True)
    s.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
