"""The crash matrix: SIGKILL a real worker process at step boundaries and at random moments,
start a new worker, and the ledger still shows each effect exactly once."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli.main import main
from engines.clock import EPOCH, VirtualClock
from engines.replay import Server, Worker
from workloads.order_1001.replay import WORKFLOWS, OrderActivities
from workloads.services import Services

ROOT = Path(__file__).resolve().parents[2]
HAPPY_POINTS = [
    "workflow-task-started:order",
    "activity-started:ChargeCard",
    "activity-effect:ChargeCard",
    "activity-recorded:ChargeCard",
    "activity-effect:ReserveInventory",
    "workflow-task-completed:order",
    "activity-effect:ShipPackage",
    "activity-recorded:ShipPackage",
    "activity-effect:SendConfirmationEmail",
]
CANCEL_POINTS = ["activity-effect:ReleaseInventory", "activity-effect:RefundCard"]


def worker_cmd(db, *extra):
    return [sys.executable, "-m", "app.cli.main", "replay", "worker", "--db", str(db), "--skip-time", "--until-idle",
            "--quiet", *extra]


def kill_at(db, point):
    proc = subprocess.Popen(worker_cmd(db, "--pause-at", point), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("PAUSED"), f"worker never reached {point}: {line!r}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()


def recover(db):
    """A new worker (in this process) finishes the order from its history."""
    server = Server(db, VirtualClock(EPOCH))
    services = Services(server.store, server.clock)
    w = Worker(server, workflows=WORKFLOWS, activities=OrderActivities(services).all(), skip_time=True)
    w.run()
    w.stop()
    status = server.describe("order-1001").status
    counts = services.ledger("1001").counts("1001")
    server.close()
    return status, counts


def start(db, cancel=False):
    assert main(["replay", "start", "order", "--id", "order-1001", "--db", str(db)]) == 0
    if cancel:
        assert main(["replay", "signal", "order-1001", "cancelOrder", "--db", str(db)]) == 0


HAPPY = {"charged_cents": 4200, "refunded_cents": 0, "reserved": 1, "released": 0, "shipped": 1, "emailed": 1}
CANCELLED = {"charged_cents": 4200, "refunded_cents": 4200, "reserved": 1, "released": 1, "shipped": 0, "emailed": 0}


@pytest.mark.parametrize("point", HAPPY_POINTS)
def test_sigkill_at_a_step_boundary(tmp_path, point):
    db = tmp_path / "r.db"
    start(db)
    kill_at(db, point)
    assert recover(db) == ("Completed", HAPPY)


@pytest.mark.parametrize("point", CANCEL_POINTS)
def test_sigkill_while_compensating(tmp_path, point):
    db = tmp_path / "r.db"
    start(db, cancel=True)
    kill_at(db, point)
    assert recover(db) == ("Completed", CANCELLED)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sigkill_at_a_random_moment(tmp_path, seed):
    db = tmp_path / "r.db"
    start(db)
    proc = subprocess.Popen(worker_cmd(db), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random(seed).uniform(0.15, 0.5))  # real time: when the kill lands is the point of the test
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert recover(db) == ("Completed", HAPPY)


@pytest.mark.parametrize("keys,cents", [(True, 4200), (False, 8400)])
def test_crash_after_effect_process(tmp_path, keys, cents):
    db = tmp_path / "r.db"
    start(db)
    extra = [] if keys else ["--no-idempotency-keys"]
    first = subprocess.run(worker_cmd(db, "--crash-after-effect", "ChargeCard", *extra), cwd=ROOT, capture_output=True, timeout=60)
    assert first.returncode != 0
    second = subprocess.run(worker_cmd(db, *extra), cwd=ROOT, capture_output=True, timeout=60)
    assert second.returncode == 0
    ledger = Services(db).ledger("1001")
    assert ledger.statement_cents("1001") == cents
    assert len(ledger.of("shipment")) == 1
