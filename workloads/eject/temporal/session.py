"""The Temporal session: a child process that holds the dev server and runs each scenario on it.

`run()` hands each scenario to one long-lived child process (`python -m
workloads.eject.temporal.session`), started on first use and reused for every later run of the
calling process; the child starts the dev server once, runs the exported workflows and activities
on a Worker in itself (`live.run_here`), and answers with the RealRun as one JSON line.

Why a process of its own: temporalio's Rust core keeps threads that may call into Python while
the interpreter is finalizing, which aborts the process at exit ("PyGILState_Release: thread state
... must be current", temporalio/sdk-python#300). The child ends with `os._exit` once its
requests are answered and its server is shut down, so neither the app nor a test run shares that
fate. Every reply is awaited with a deadline; the child's stderr (the SDK's and the server's logs)
goes to `temporal-session.log` in the first run's work_dir.

Protocol (one JSON object per line): request {"workload", "scenario", "work_dir", "day"}; reply
{"run": {...RealRun fields, history}} or {"error": {"kind": "RealEngineUnavailable" | "RealRunError",
"message"}}.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from workloads.eject.real import RealEngineUnavailable, RealRun, RealRunError, RealSystem

#: wall-clock bound of one reply beyond the run's own bound (`live.run_timeout`): the server's first start
REPLY_TIMEOUT_S = 120.0
_ERRORS: dict[str, type[Exception]] = {"RealEngineUnavailable": RealEngineUnavailable, "RealRunError": RealRunError}


def to_wire(real: RealRun) -> dict[str, Any]:
    return {**real.to_json(), "history": real.history}


def from_wire(data: dict[str, Any]) -> RealRun:
    return RealRun(system=RealSystem(data["system"]), workload=data["workload"], scenario=data["scenario"],
                   status=data["status"], ledger=dict(data["ledger"]), steps=list(data["steps"]),
                   history=data.get("history"), output=data.get("output"), engine_version=data.get("engine_version", ""),
                   notes=list(data.get("notes") or []))


class Session:
    """The parent's handle on the child process; one per process, started on first use."""

    _lock = threading.Lock()
    _instance: Session | None = None

    def __init__(self, log: Path) -> None:
        root = Path(__file__).resolve().parents[3]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        self.log_path = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "workloads.eject.temporal.session"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._log, env=env, text=True, bufsize=1)
        self._replies: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True, name="temporal-session").start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self._replies.put(line)
        self._replies.put(None)  # the child is gone

    @classmethod
    def get(cls, work_dir: Path) -> Session:
        with cls._lock:
            if cls._instance is None or cls._instance.process.poll() is not None:
                cls._instance = cls(Path(work_dir) / "temporal-session.log")
                atexit.register(cls._instance.close)
            return cls._instance

    def run(self, workload: str, scenario: str, work_dir: Path, day: float | None = None) -> RealRun:
        """One request, one reply, within the run's bound plus REPLY_TIMEOUT_S."""
        from workloads.eject.temporal.live import run_timeout

        deadline = run_timeout(workload, scenario) + REPLY_TIMEOUT_S
        with self._lock:
            request = json.dumps({"workload": workload, "scenario": scenario, "work_dir": str(Path(work_dir).resolve()),
                                  "day": day})
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(request + "\n")
                self.process.stdin.flush()
                line = self._replies.get(timeout=deadline)
            except queue.Empty:
                self.process.kill()
                raise RealRunError(f"the Temporal session process gave no answer within {deadline:g} s for "
                                   f"{workload} {scenario}; it was killed (its log: {self.log_path})") from None
            except BrokenPipeError:
                line = None
            if line is None:
                raise RealRunError(f"the Temporal session process ended (exit code {self.process.wait(timeout=10)}) "
                                   f"before answering {workload} {scenario}; its log: {self.log_path}")
        reply = json.loads(line)
        if "error" in reply:
            raise _ERRORS.get(reply["error"]["kind"], RealRunError)(reply["error"]["message"])
        return from_wire(reply["run"])

    def close(self) -> None:
        """End the child: EOF on its stdin, then wait for it (it shuts its server down first)."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        self._log.close()


def main() -> None:
    """The child: answer requests until stdin closes, then leave without interpreter teardown."""
    from workloads.eject.temporal.dev_server import DevServer
    from workloads.eject.temporal.live import run_here

    out = sys.stdout
    sys.stdout = sys.stderr  # anything printed by the code under test goes to the log, not the protocol
    for line in sys.stdin:
        request = json.loads(line)
        try:
            real = run_here(request["workload"], request["scenario"], work_dir=Path(request["work_dir"]),
                            day=request.get("day"))
            reply: dict[str, Any] = {"run": to_wire(real)}
        except (RealEngineUnavailable, RealRunError) as exc:
            reply = {"error": {"kind": type(exc).__name__, "message": str(exc)}}
        except Exception as exc:  # noqa: BLE001 - any other failure is this run's error, the session goes on
            reply = {"error": {"kind": "RealRunError", "message": f"{type(exc).__name__}: {exc}"}}
        out.write(json.dumps(reply, default=str) + "\n")
        out.flush()
    if DevServer._instance is not None:
        DevServer._instance.shutdown()
    sys.stderr.flush()
    os._exit(0)  # temporalio/sdk-python#300: the core's threads may abort the interpreter's own teardown


if __name__ == "__main__":
    main()
