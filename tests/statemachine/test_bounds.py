"""Issue 17, state machine: every run bounded as Step Functions bounds it, every bad input one clear line.

Where a hang or a blow-up is the risk, the case runs in a subprocess (`asl run`) with a timeout, so
a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli.main import main
from engines.statemachine import Deferred, Resources, TaskFailed, validate
from engines.statemachine.choice import wildcard_match
from tests.statemachine.helpers import LAMBDA, machine, run

ROOT = Path(__file__).resolve().parents[2]
JSONATA = {"QueryLanguage": "JSONata"}


def asl(tmp_path: Path, definition: dict | None, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`workflow-canvas asl run DEF …` in its own process (definition None: the args name the file)."""
    cmd = [sys.executable, "-m", "app.cli.main", "asl", "run"]
    if definition is not None:
        f = tmp_path / "d.json"
        f.write_text(json.dumps(definition))
        cmd.append(str(f))
    return subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def one_line_error(p: subprocess.CompletedProcess, code: int) -> str:
    assert p.returncode == code, p.stderr
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if "error" in ln]
    assert len(lines) == 1, p.stderr
    return lines[0]


# ------------------------------------------------------------------ the long runs, in one process
LOOP = machine(P={"Type": "Pass", "Next": "C"},
               C={"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}],
                  "Default": "P"},
               Done={"Type": "Succeed"})
BIG_MAP = {**JSONATA, **machine(M={"Type": "Map", "Items": "{% [1..100000] %}", "End": True,
                                   "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}})}
RUNAWAY = {
    "recursion": "($f := function($n){ $n + $f($n+1) }; $f(0))",
    "tail loop": "($f := function($n){ $f($n+1) }; $f(0))",
    "catastrophic regex": "$match($states.input.s, /^(a+)+$/)",
}
_SCRIPT = """
import json, resource, sys
from tests.statemachine.helpers import run
cases = json.loads(sys.stdin.read())
out = {}
def peak_kb():
    # VmHWM is this process image's own peak (a new one at exec); ru_maxrss is kept across execve on
    # Linux, so it would count the parent's size at fork (a big pytest worker) as the Map's
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = run(cases["map"])  # first: the peak so far is the Map's alone
out["map"] = [r.status, r.cause, peak_kb()]
r = run(cases["loop"])
out["loop"] = [r.status, r.error, r.cause, [str(e) for e in r.events[-2:]], len(r.events)]
for name, d in cases["runaway"].items():
    r = run(d, {"s": "a" * 40 + "!"})
    out[name] = [r.status, r.error, r.cause]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def long_runs() -> dict:
    """The runs that would hang or blow up if a bound broke, in one subprocess with a timeout."""
    cases = {"map": BIG_MAP, "loop": LOOP,
             "runaway": {k: {**JSONATA, **machine(P={"Type": "Pass", "Output": "{% " + e + " %}", "End": True})}
                         for k, e in RUNAWAY.items()}}
    p = subprocess.run([sys.executable, "-c", _SCRIPT], input=json.dumps(cases), cwd=ROOT, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_an_endless_pass_choice_loop_ends_at_the_history_quota(long_runs):
    # https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html: event 25,000 that is not
    # ExecutionSucceeded is ExecutionFailed; the cause is AWS's words (the 25,000-event failure users report)
    status, error, cause, last, n = long_runs["loop"]
    assert (status, error) == ("FAILED", "States.Runtime")
    assert cause == "The execution reached the maximum number of history events (25000)."
    assert n == 25_000 and last[-1] == "ExecutionFailed"


def test_a_100000_item_map_holds_40_iterations_at_a_time(long_runs):
    # the inline Map runs "up to 40 concurrent iterations" (state-map-inline.html), so memory is bounded;
    # 100,000 iterations need far more than 25,000 events, so the execution ends at the quota
    status, cause, max_rss_kb = long_runs["map"]
    assert status == "FAILED" and "maximum number of history events" in cause
    assert max_rss_kb < 400 * 1024  # the issue saw 504 MB and counting; this holds ~40 live iterations


@pytest.mark.parametrize("name,words", [("recursion", "recursed too deeply"), ("tail loop", "stopped after"),
                                        ("catastrophic regex", "stopped after")])
def test_runaway_jsonata_is_a_query_evaluation_error(long_runs, name, words):
    status, error, cause = long_runs[name]
    assert (status, error) == ("FAILED", "States.QueryEvaluationError")
    assert words in cause and "specified for the field 'Output'" in cause


# ------------------------------------------------------------------ Retry bounded by MaxAttempts
def test_retry_is_bounded_by_max_attempts_and_interval_zero_is_refused():
    # Retrier fields (concepts-error-handling.html): IntervalSeconds "a positive integer" (default 1, at most
    # 99999999), MaxAttempts at most 99999999
    problems = validate(machine(T={"Type": "Task", "Resource": LAMBDA + "F", "End": True,
                                   "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0, "MaxAttempts": 10 ** 9}]}))
    assert any("IntervalSeconds" in p and "greater than or equal to 1" in p for p in problems)
    assert any("MaxAttempts" in p for p in problems)
    calls = []

    def fails(p, c):
        calls.append(1)
        raise TaskFailed("E", "always")

    r = run(machine(T={"Type": "Task", "Resource": LAMBDA + "F", "End": True,
                       "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 4, "BackoffRate": 1.0}]}), {},
            Resources().register("F", fails))
    assert (r.status, r.error, len(calls), r.retry_delays) == ("FAILED", "E", 5, [1.0, 1.0, 1.0, 1.0])


def test_a_retry_backoff_past_the_calendar_is_a_clear_runtime_error():
    r = run(machine(T={"Type": "Task", "Resource": LAMBDA + "F", "End": True,
                       "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 99999999, "BackoffRate": 1e300,
                                  "MaxAttempts": 5}]}), {},
            Resources().register("F", lambda p, c: (_ for _ in ()).throw(TaskFailed("E", "x"))))
    assert (r.status, r.error) == ("FAILED", "States.Runtime")
    assert "past the end of the calendar" in r.cause and "MaxDelaySeconds" in r.cause


# ------------------------------------------------------------------ Wait: huge, NaN; validation of Seconds
@pytest.mark.parametrize("seconds", [2 ** 70, float("nan"), float("inf"), 1e300, 100_000_000])
def test_wait_seconds_path_huge_or_nan_is_states_runtime(seconds):
    # state-wait.html: "an integer value from 0 to 99999999"
    r = run(machine(W={"Type": "Wait", "SecondsPath": "$.s", "End": True}), {"s": seconds})
    assert (r.status, r.error) == ("FAILED", "States.Runtime") and "SecondsPath" in r.cause


@pytest.mark.parametrize("seconds,words", [("10", 'not "10"'), (2 ** 70, "out of range (expected 0 to 99999999"),
                                           (True, "not true"), (1.5, "not 1.5")])
def test_validate_refuses_seconds_that_are_not_a_bounded_integer(seconds, words):
    # state-wait.html: Seconds is "an integer value from 0 to 99999999"
    problems = validate(machine(W={"Type": "Wait", "Seconds": seconds, "End": True}))
    assert any(p.startswith("state 'W': field 'Seconds'") and words in p for p in problems), problems


def test_asl_validate_names_the_state_and_field(tmp_path, capsys):
    f = tmp_path / "w.json"
    f.write_text(json.dumps(machine(W={"Type": "Wait", "Seconds": "10", "End": True})))
    assert main(["asl", "validate", str(f)]) == 1
    err = capsys.readouterr().err
    assert "state 'W': field 'Seconds'" in err and "Traceback" not in err


@pytest.mark.parametrize("seconds", [1e300, float("nan"), 0, 100_000_000])
def test_a_timeout_seconds_path_out_of_range_is_states_runtime(seconds):
    d = machine(T={"Type": "Task", "Resource": LAMBDA + "F", "TimeoutSecondsPath": "$.t", "End": True})
    r = run(d, {"t": seconds}, Resources().register("F", lambda p, c: p))
    assert (r.status, r.error) == ("FAILED", "States.Runtime") and "TimeoutSeconds" in r.cause


def test_task_and_execution_timeouts_are_bounded_in_validation():
    d = {**machine(T={"Type": "Task", "Resource": LAMBDA + "F", "TimeoutSeconds": 2 ** 70, "End": True}),
         "TimeoutSeconds": 10 ** 12}
    problems = validate(d)
    assert any("state 'T': field 'TimeoutSeconds'" in p for p in problems)
    assert any("top level: field 'TimeoutSeconds'" in p for p in problems)


# ------------------------------------------------------------------ CLI arguments, resource delays, files
def _write(tmp_path: Path, name: str, data: object) -> str:
    f = tmp_path / name
    f.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(f)


@pytest.mark.parametrize("value", ["nan", "inf", "1e300", "-1"])
def test_stop_after_must_be_a_bounded_number(tmp_path, capsys, value):
    d = _write(tmp_path, "w.json", machine(W={"Type": "Wait", "Seconds": 5, "End": True}))
    with pytest.raises(SystemExit) as stop:
        main(["asl", "run", d, f"--stop-after={value}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "argument --stop-after" in err and "Traceback" not in err


def test_a_resource_delay_of_infinity_is_refused(tmp_path, capsys):
    d = _write(tmp_path, "d.json", machine(T={"Type": "Task", "Resource": LAMBDA + "F", "End": True}))
    r = _write(tmp_path, "r.json", '{"F": {"Return": 1, "DelaySeconds": Infinity}}')
    assert main(["asl", "run", d, "--resources", r]) == 1
    assert "'F' response 0: DelaySeconds must be a number" in capsys.readouterr().err


def test_a_deferred_answer_of_infinite_seconds_fails_the_task():
    r = run(machine(T={"Type": "Task", "Resource": LAMBDA + "F", "End": True}), {},
            Resources().register("F", lambda p, c: Deferred(float("inf"), value=1)))
    assert (r.status, r.error) == ("FAILED", "States.Runtime") and "Deferred(inf)" in r.cause


def test_a_fifo_or_a_non_utf8_definition_is_one_line(tmp_path):
    fifo = tmp_path / "d.json"
    os.mkfifo(fifo)
    p = asl(tmp_path, None, str(fifo), timeout=20)  # would block forever if opened for a plain read
    assert "not a regular file" in one_line_error(p, 1)
    latin = tmp_path / "l.json"
    latin.write_bytes('{"Comment": "café", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}'.encode("latin-1"))
    p = asl(tmp_path, None, str(latin), timeout=20)
    assert "not UTF-8" in one_line_error(p, 1)


def test_an_execution_input_over_256_kib_is_refused(tmp_path, capsys):
    # service-quotas.html: execution input at most 256 KiB
    big = _write(tmp_path, "in.json", {"a": "x" * (257 * 1024)})
    assert main(["asl", "run", _write(tmp_path, "d.json", machine(A={"Type": "Succeed"})), "--input", big]) == 1
    assert "at most 262,144 (256 KiB)" in capsys.readouterr().err


# ------------------------------------------------------------------ StringMatches: no regex backtracking
def test_string_matches_on_a_long_string_is_linear_not_catastrophic():
    # a pattern translated to `.*a.*a…b` backtracks polynomially-to-exponentially in `re`;
    # the two-pointer matcher answers at once (the rule: state-choice.html, StringMatches)
    d = machine(C={"Type": "Choice", "Choices": [{"Variable": "$.s", "StringMatches": "*a" * 12 + "b", "Next": "Y"}],
                   "Default": "N"}, Y={"Type": "Pass", "Result": "y", "End": True},
                N={"Type": "Pass", "Result": "n", "End": True})
    assert run(d, {"s": "a" * 100_000}).output == "n"
    assert run(d, {"s": "a" * 100_000 + "b"}).output == "y"


@settings(max_examples=150, deadline=None)
@given(pattern=st.text("ab*\\", max_size=8), text=st.text("ab*\\", max_size=10))
def test_string_matches_agrees_with_the_regex_reading_of_the_rule(pattern, text):
    """`*` is any run of characters, `\\*` and `\\\\` are the characters themselves."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if pattern[i] == "*" else re.escape(pattern[i]))
        i += 1
    assert wildcard_match(pattern, text) == (re.fullmatch("".join(out), text, re.DOTALL) is not None)
