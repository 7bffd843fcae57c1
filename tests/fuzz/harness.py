"""The parent side of the fuzz suite: a driver process, and what every case must satisfy.

Every case runs `workflow-canvas` (app.cli.main) in a real OS process with a time limit. The
verdict a user relies on, whatever the input: a non-zero exit with one error line (ours, or
argparse's usage + one error line) or a correct result; never a traceback; never a hang; never
a changed input file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[2]
#: Per command line: a generous bound for one command on a loaded 2-core machine (the slowest
#: legitimate case here takes under a second alone). A hang is anything past it.
CASE_TIMEOUT = 15.0
#: Extra wall time the parent waits past the alarm before it calls the driver stuck (in C code).
GRACE = 5.0

_ERROR_LINE = re.compile(r"^workflow-canvas(?: [\w.-]+)*: error: \S")


@dataclass
class Result:
    argv: list[str]
    code: int | None
    stdout: str = ""
    stderr: str = ""
    traceback: bool = False
    hang: bool = False
    crashed: str = ""  # the driver died (a signal, or memory) while running this case
    changed: list[str] = field(default_factory=list)

    def problems(self, expect: str = "either") -> list[str]:
        """What is wrong with this result; `expect`: "error" (must be refused), "ok" (must succeed),
        "either", or "ran" (exit 0 or 3, asl's "the execution ended otherwise")."""
        found = []
        if self.hang:
            found.append("hung")
        if self.crashed:
            found.append(f"crashed the interpreter ({self.crashed})")
        if self.traceback or "Traceback" in self.stderr:
            found.append("traceback: " + _last_line(self.stderr))
        if self.changed:
            found.append("changed input files: " + ", ".join(self.changed))
        if found:
            return found
        if self.code == 0 or (expect in ("ran", "either") and self.code == 3):
            if expect == "error":
                found.append("accepted (exit 0) what it must refuse: " + _last_line(self.stdout))
            return found
        if expect in ("ran", "either") and self.code == 1 and not self.stderr.strip() and self.stdout.strip():
            return found  # `dag test`: exit 1 is also "the DAG run did not succeed", printed as a result
        if expect in ("ok", "ran"):
            found.append(f"exit {self.code}: " + _last_line(self.stderr or self.stdout))
            return found
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        at = [i for i, ln in enumerate(lines) if _ERROR_LINE.match(ln)]
        if len(at) != 1:
            found.append(f"exit {self.code} without one clear error line: {self.stderr.strip()[-300:]!r}")
            return found
        before, after = lines[:at[0]], lines[at[0] + 1:]
        if any(not ln.startswith(("usage:", " ")) for ln in before):  # argparse's usage may precede it
            found.append(f"extra lines before the error: {self.stderr.strip()[-300:]!r}")
        if any(not ln.startswith("  - ") for ln in after):  # a list of problems, one per line, may follow
            found.append(f"extra lines after the error: {self.stderr.strip()[-300:]!r}")
        return found


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(paths: list[Path]) -> dict[str, str | None]:
    """sha256 of each regular file (and of its -wal/-shm/-journal companions: None = absent)."""
    out: dict[str, str | None] = {}
    for p in paths:
        for q in (p, Path(f"{p}-wal"), Path(f"{p}-shm"), Path(f"{p}-journal")):
            out[str(q)] = sha256(q) if q.is_file() else None
    return out


class Driver:
    """One `python -m tests.fuzz.driver` process, restarted after a hang or a crash."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.started = 0

    def _start(self) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.driver"], cwd=ROOT, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONHASHSEED": "0"})
        self.started += 1
        line = self._read_line(proc, 60.0)
        assert line is not None and json.loads(line).get("ready"), "the fuzz driver did not start"
        return proc

    @staticmethod
    def _read_line(proc: subprocess.Popen, timeout: float) -> str | None:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if ready:
                line = proc.stdout.readline()
                return line or None

    def run(self, argv: list[str], *, cwd: Path, inputs: Sequence[Path] = (), timeout: float = CASE_TIMEOUT,
            env: dict[str, str] | None = None) -> Result:
        before = fingerprint(list(inputs))
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None
        case = {"argv": argv, "timeout": timeout, "cwd": str(cwd),
                "env": {"WORKFLOW_CANVAS_HOME": str(cwd / "home"), **(env or {})}}
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        line = self._read_line(self.proc, timeout + GRACE)
        if line is None:
            code = self.proc.poll()
            self.close()
            if code is None:
                result = Result(argv, None, hang=True)
            else:
                result = Result(argv, None, crashed=f"exit status {code}")
        else:
            data = json.loads(line)
            result = Result(argv, data["code"], data["stdout"], data["stderr"], data["traceback"], data["hang"])
        after = fingerprint(list(inputs))
        result.changed = [Path(k).name for k in before if before[k] != after[k]]
        return result

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=30)
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None


def run_subprocess(argv: list[str], *, cwd: Path, inputs: Sequence[Path] = (), timeout: float = CASE_TIMEOUT) -> Result:
    """One case as its own `python -m app.cli.main …` process (for hangs no alarm can reach)."""
    before = fingerprint(list(inputs))
    env = {**os.environ, "WORKFLOW_CANVAS_HOME": str(cwd / "home"), "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-m", "app.cli.main", *argv], cwd=cwd, env=env, text=True,
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        result = Result(argv, done.returncode, done.stdout[-4000:], done.stderr[-4000:])
        if done.returncode < 0:
            result.crashed = f"signal {-done.returncode}"
    except subprocess.TimeoutExpired:
        result = Result(argv, None, hang=True)
    after = fingerprint(list(inputs))
    result.changed = [Path(k).name for k in before if before[k] != after[k]]
    return result
