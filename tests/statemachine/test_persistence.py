"""Executions survive a SIGKILL: a new process resumes from the last checkpoint."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine, Resources

ROOT = Path(__file__).resolve().parents[2]
DEF = {"StartAt": "Charge", "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:Charge", "ResultPath": "$.c", "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": 2592000, "Next": "Approve"},
    "Approve": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}}, "ResultPath": "$.a", "Next": "Ship"},
    "Ship": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:Ship", "End": True}}}

CHILD = textwrap.dedent("""
    import json, sys, time
    from datetime import timedelta
    from engines.clock import EPOCH, VirtualClock
    from engines.statemachine import Engine, Resources
    db, calls, stop_day = sys.argv[1], sys.argv[2], float(sys.argv[3])
    def log(name):
        def fn(p, c):
            open(calls, "a").write(name + "\\n")
            return {"done": name}
        return fn
    res = Resources().register("Charge", log("Charge")).register("Ship", log("Ship")).register("Ask", log("Ask"))
    clock = VirtualClock(EPOCH)
    e = Engine(db, clock, res)
    e.create_state_machine("m", json.loads(sys.argv[4]))
    e.start_execution("m", {"order": 1}, name="x")
    e.run_until_idle(until=EPOCH + timedelta(days=stop_day))
    print("ready", flush=True)
    time.sleep(60)
""")


def _kill_child_at(tmp_path: Path, day: float) -> tuple[Path, Path]:
    db, calls = tmp_path / "sfn.db", tmp_path / "calls.txt"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(calls), str(day), json.dumps(DEF)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return db, calls


def _second_process(db: Path, calls: Path, day: float) -> Engine:
    def log(name):
        def fn(p, c):
            with calls.open("a") as f:
                f.write(name + "\n")
            return {"done": name}
        return fn
    clock = VirtualClock(EPOCH)
    clock.set(EPOCH + timedelta(days=day))
    res = Resources().register("Charge", log("Charge")).register("Ship", log("Ship")).register("Ask", log("Ask"))
    e = Engine(db, clock, res)
    assert len(e.resume()) == 1
    return e


ARN = "arn:aws:states:us-east-1:123456789012:execution:m:x"


def test_sigkill_during_the_30_day_wait_resumes_the_timer(tmp_path):
    db, calls = _kill_child_at(tmp_path, 10)
    e = _second_process(db, calls, 10)
    e.run_until_idle()
    assert e.clock.now() == EPOCH + timedelta(days=30)      # the wait ends on day 30, not day 40
    token = e.waiting_tokens(ARN)[0]
    e.send_task_success(token, {"ok": True})
    d = e.describe_execution(ARN)
    assert d["status"] == "SUCCEEDED" and d["output"] == {"done": "Ship"}
    assert calls.read_text().split() == ["Charge", "Ask", "Ship"]  # each ran once
    types = [h.type for h in e.get_execution_history(ARN)]
    assert types.count("ExecutionStarted") == 1 and types.count("WaitStateExited") == 1


def test_sigkill_while_waiting_on_a_token_then_answer_from_the_new_process(tmp_path):
    db, calls = _kill_child_at(tmp_path, 31)
    e = _second_process(db, calls, 31)
    [token] = e.waiting_tokens(ARN)
    e.send_task_success(token, {"ok": 1})
    assert e.describe_execution(ARN)["status"] == "SUCCEEDED"
    assert calls.read_text().split() == ["Charge", "Ask", "Ship"]
