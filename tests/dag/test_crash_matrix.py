"""Issue 20: SIGKILL a real scheduler process at every task boundary and at random moments, start
a new scheduler on the same metadata database, and check what Airflow 3 guarantees:

- every task-instance state change is committed on its own, so a try is on file as running
  before its code runs: no task's code runs twice under one try number (a re-run always has a
  new try recorded);
- a task whose success was committed never runs again;
- a try that was running when the scheduler died is found at restart, and its heartbeat timeout
  makes it up_for_retry (a new try) or failed when its retries are used up.

By default a sample of boundaries and a few random kills run (a few seconds);
DAG_CRASH_MATRIX=full runs every boundary of every task (36 kills) plus 12 random ones.
"""

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.dag import Scheduler
from engines.dag.metadata import MetadataDB
from tests.dag.crash_worker import RETRIES, TASKS, build

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("DAG_CRASH_MATRIX") == "full"
PHASES = ("before", "effect", "success")
BOUNDARIES = [f"{p}:{t}" for t in TASKS for p in PHASES] if FULL else [
    "before:t00", "effect:t03", "success:t03", "effect:t07", "success:t11"]
RANDOM_KILLS = 12 if FULL else 3


def worker(db, effects, *extra):
    return subprocess.Popen([sys.executable, "-m", "tests.dag.crash_worker", str(db), str(effects), *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()


def recover(db, effects):
    """A new scheduler (in this process) finishes the run from the metadata database."""
    s = Scheduler([build(str(effects))], db=str(db), clock=VirtualClock(EPOCH))
    run = s.run_until_done("crashy_run")
    trace = list(s.trace)
    s.close()
    return run, trace


def check(db, effects, run):
    """The invariants, from the effects file and the metadata database alone."""
    executed = defaultdict(list)
    for line in Path(effects).read_text().splitlines():
        task_id, try_number = line.split()
        executed[task_id].append(int(try_number))
    meta = MetadataDB(str(db))
    tis = {r["task_id"]: r for r in meta.task_instances("crashy_run")}
    history = defaultdict(list)
    for h in meta.history("crashy_run"):
        history[h["task_id"]].append(h)
    meta.close()
    assert run.state in ("success", "failed")
    for task_id in TASKS:
        tries = executed[task_id]
        ti = tis[task_id]
        assert len(tries) == len(set(tries)), f"{task_id}: a try ran twice under one try number: {tries}"
        assert all(t <= ti["try_number"] for t in tries), f"{task_id}: ran try {max(tries)}, recorded {ti['try_number']}"
        if ti["state"] == "success":
            assert max(tries) == ti["try_number"], f"{task_id}: ran again after its success: {tries}"
        # every earlier try is in the history, ended as up_for_retry (a heartbeat timeout or a kill)
        assert [h["try_number"] for h in history[task_id]] == list(range(1, ti["try_number"]))
        if ti["state"] == "failed":
            assert ti["try_number"] == RETRIES + 1, f"{task_id}: failed with retries left"
    return sum(len(v) for v in executed.values()), len(executed)


@pytest.mark.parametrize("point", BOUNDARIES)
def test_sigkill_at_a_task_boundary(tmp_path, point):
    db, effects = tmp_path / "dag.db", tmp_path / "effects.log"
    proc = worker(db, effects, "--pause-at", point)
    lines = []
    while True:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("PAUSED") or not line:
            break
    assert line.startswith("PAUSED"), f"the scheduler never reached {point}: {lines}"
    kill(proc)
    run, trace = recover(db, effects)
    assert run.state == "success"
    check(db, effects, run)
    phase, task_id = point.split(":")
    lost = {e.subject for e in trace if e.kind == "TaskInstance heartbeat timeout"}
    if phase in ("before", "effect"):
        # the killed try was found running and failed by its heartbeat timeout; a new try ran
        assert task_id in lost and run.tis[task_id].try_number == 2
    else:
        # its success was on file: never re-run (a task started beside it may have been lost)
        assert task_id not in lost and run.tis[task_id].try_number == 1
    for t in lost:
        assert run.tis[t].try_number == 2


def test_sigkill_at_random_moments(tmp_path):
    rng = random.Random(20)
    kills = runs = reruns = 0
    for n in range(RANDOM_KILLS):
        db, effects = tmp_path / f"dag{n}.db", tmp_path / f"effects{n}.log"
        for _ in range(3):  # up to three kills of the same run, each at a random moment
            proc = worker(db, effects)
            assert proc.stdout.readline().startswith("STARTED")
            time.sleep(rng.uniform(0, 0.04))
            if proc.poll() is not None:
                proc.stdout.close()
                break
            kill(proc)
            kills += 1
        run, _trace = recover(db, effects)
        executed, _tasks = check(db, effects, run)
        runs += 1
        reruns += executed - len(TASKS)
    print(f"{kills} random kills over {runs} runs; {reruns} task re-runs, each a new recorded try")
    assert kills >= RANDOM_KILLS
