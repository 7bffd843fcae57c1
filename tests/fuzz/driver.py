"""Run many `workflow-canvas` command lines in one process, each under its own alarm.

The fuzz suite starts this as a real OS process (`python -m tests.fuzz.driver`) and talks to it
one JSON line at a time: a case `{"argv": [...], "timeout": s, "cwd": dir}` in, a result
`{"code", "stdout", "stderr", "traceback", "hang"}` out. Starting Python and importing the engines
once instead of once per command line is what lets a few hundred cases run in well under a minute
on two cores. A case that hangs in C code (where no alarm can interrupt it) or kills the
interpreter is seen by the parent as a missing answer, and the parent starts a new driver.

Memory is capped (RLIMIT_AS) so a run that grows without bound fails here instead of taking the
machine down with it.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import signal
import sys
import traceback

MEMORY_LIMIT = 1536 * 1024 * 1024


class CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so that `except Exception` in the code under test
    cannot swallow it."""


def _on_alarm(signum, frame):  # pragma: no cover - runs only when a case hangs
    raise CaseTimeout()


def run_case(argv: list[str], timeout: float) -> dict:
    from app.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    result: dict[str, object] = {"code": None, "traceback": False, "hang": False}
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                result["code"] = main(argv)
            except SystemExit as exc:  # argparse's usage errors (exit 2), --help (exit 0)
                code = exc.code
                result["code"] = code if isinstance(code, int) else (0 if code is None else 1)
    except CaseTimeout:
        result["hang"] = True
    except BaseException:  # noqa: BLE001 - the point is to report it
        result["traceback"] = True
        err.write(traceback.format_exc(limit=8))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    # What the process's exit would do: free what the command left behind (its open databases
    # close, as they would at exit, checkpointing and removing their -wal and -shm files).
    gc.collect()
    result["stdout"] = out.getvalue()[-4000:]
    result["stderr"] = err.getvalue()[-4000:]
    return result


def serve() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    signal.signal(signal.SIGALRM, _on_alarm)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # anything written straight to fd 1 (not via sys.stdout) cannot garble the protocol
    sys.stdout = io.TextIOWrapper(os.fdopen(os.dup(devnull), "wb"))
    import app.cli.main  # noqa: F401 - import once, before the first case's clock starts

    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        case = json.loads(line)
        os.chdir(case.get("cwd") or os.getcwd())
        for key, value in (case.get("env") or {}).items():
            os.environ[key] = value
        protocol.write(json.dumps(run_case(case["argv"], float(case.get("timeout", 10)))) + "\n")


if __name__ == "__main__":
    serve()
