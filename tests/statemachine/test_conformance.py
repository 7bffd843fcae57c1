"""The ASL conformance suite: every case in conformance/cases/*.json, run on this engine, answers as expected.

Each case's `expected` answer and how it was obtained (`decided_by`) were written by
tools/asl_conformance/regenerate.py from two independent interpreters (moto 5.2.5, a port of
LocalStack's, and the npm aws-local-stepfunctions 3.0.0); where they disagree, or where both
differ from AWS, the case carries an `aws` answer with its source in AWS's documentation or in a
history recorded against AWS. No peer is needed here: the references are data. The answer is
judged on the status and the output (SUCCEEDED) or the error name (FAILED), and on the cause
where the expected answer gives one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli.asl_cmd import scripted_resources
from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine, StatemachineError

CASES_DIR = Path(__file__).parent / "conformance" / "cases"
CASES = [c for f in sorted(CASES_DIR.glob("*.json")) for c in json.loads(f.read_text())]


def run_case(case: dict) -> dict[str, Any]:
    """This engine's answer to a case: {"status", "output" | "error", "cause"}."""
    engine = Engine(":memory:", VirtualClock(EPOCH), scripted_resources(case.get("tasks") or {}))
    try:
        engine.create_state_machine("m", case["definition"])
    except StatemachineError as exc:
        return {"status": "REFUSED", "error": type(exc).__name__, "cause": str(exc)}
    arn = engine.start_execution("m", case.get("input", {}))
    engine.run_until_idle()
    d = engine.describe_execution(arn)
    out: dict[str, Any] = {"status": d["status"]}
    if d["status"] == "SUCCEEDED":
        out["output"] = d["output"]
    else:
        out["error"], out["cause"] = d["error"], d["cause"]
    return out


def test_the_suite_is_large_and_every_case_is_decided():
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES)
    undecided = [c["id"] for c in CASES if "expected" not in c]
    assert not undecided, f"run tools/asl_conformance/regenerate.py and decide: {undecided}"
    for c in CASES:
        assert c["decided_by"] and set(c["references"]) == {"moto", "aws-local-stepfunctions"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    got, want = run_case(case), case["expected"]
    assert got["status"] == want["status"], (case["decided_by"], got)
    if want["status"] == "SUCCEEDED":
        assert got["output"] == want["output"], case["decided_by"]
    elif want["status"] == "FAILED":
        assert got["error"] == want["error"], (case["decided_by"], got)
        if "cause" in want:
            assert got["cause"] == want["cause"], case["decided_by"]
