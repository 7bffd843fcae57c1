"""Regenerate the ASL conformance references: run every case on moto and on aws-local-stepfunctions.

    .venv/bin/python tools/asl_conformance/regenerate.py            # rewrite the case files
    .venv/bin/python tools/asl_conformance/regenerate.py --check    # only print the agreement rates

The cases live in tests/statemachine/conformance/cases/*.json (a list per topic): `id`,
`definition`, `input`, optionally `tasks` (Lambda answers, as `asl run --resources` takes them)
and `aws` (the answer AWS's documentation or an AWS-recorded history gives, with its `source`).
This script writes, per case, what each peer answered (`references`), the `expected` answer and
`decided_by`, which says how it was obtained:

- `aws` given: AWS decides (the documentation, or LocalStack's snapshot recorded against AWS);
- else both peers agree: that answer (same status; same output, or same error name);
- else the case is UNDECIDED: the script lists it and exits 1 until an `aws` answer is added.

The peers run in their own environments, never the app's: moto 5.2.5 (+ jsonata-python) in
/work/peers/asl-moto-venv, aws-local-stepfunctions 3.0.0 on Node 22 in /work/peers/sfn-local.
The agreement rate of each peer with the expected answers is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "statemachine" / "conformance" / "cases"
HERE = Path(__file__).resolve().parent
MOTO_PY = Path(os.environ.get("ASL_MOTO_PYTHON", "/work/peers/asl-moto-venv/bin/python"))
SFN_LOCAL = Path(os.environ.get("SFN_LOCAL_PREFIX", "/work/peers/sfn-local"))
PEERS = ("moto", "aws-local-stepfunctions")


def load_cases() -> dict[Path, list[dict]]:
    return {f: json.loads(f.read_text()) for f in sorted(CASES.glob("*.json"))}


def _inputs(cases: list[dict]) -> str:
    keep = ("id", "definition", "input", "tasks")
    return json.dumps([{k: c[k] for k in keep if k in c} for c in cases])


def run_moto(cases: list[dict]) -> dict[str, Any]:
    p = subprocess.run([str(MOTO_PY), str(HERE / "moto_runner.py")], input=_inputs(cases), capture_output=True,
                       text=True, timeout=1800, env={**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                                                      "AWS_DEFAULT_REGION": "us-east-1"})
    if p.returncode:
        sys.exit(f"moto runner failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout)


def run_sfn_local(cases: list[dict]) -> dict[str, Any]:
    node = SFN_LOCAL / "node_modules" / ".bin" / "node"
    p = subprocess.run([str(node), str(HERE / "sfn_local_runner.mjs")], input=_inputs(cases), capture_output=True,
                       text=True, timeout=1800,
                       env={**os.environ, "SFN_LOCAL_DIR": str(SFN_LOCAL / "node_modules" / "aws-local-stepfunctions")})
    if p.returncode:
        sys.exit(f"aws-local-stepfunctions runner failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout)


def answer(result: dict) -> dict:
    """What a case's answer is judged on: the status, and the output or the error name."""
    out = {"status": result.get("status")}
    if out["status"] == "SUCCEEDED":
        out["output"] = result.get("output")
    elif out["status"] == "FAILED":
        out["error"] = result.get("error")
    return out


def agrees(result: dict, expected: dict) -> bool:
    got = answer(result)
    return all(got.get(k) == v for k, v in answer(expected).items()) and got["status"] == expected["status"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="print the rates from the stored references; run nothing")
    args = ap.parse_args()
    files = load_cases()
    every = [c for cases in files.values() for c in cases]
    if not args.check:
        refs = {"moto": run_moto(every), "aws-local-stepfunctions": run_sfn_local(every)}
    undecided = []
    for f, cases in files.items():
        for c in cases:
            if not args.check:
                c["references"] = {peer: refs[peer][c["id"]] for peer in PEERS}
            moto, local = (c["references"][p] for p in PEERS)
            if "aws" in c:
                c["expected"] = answer(c["aws"]) | ({"cause": c["aws"]["cause"]} if "cause" in c["aws"] else {})
                c["decided_by"] = "AWS: " + c["aws"]["source"]
            elif answer(moto) == answer(local):
                c["expected"] = answer(moto)
                c["decided_by"] = "moto and aws-local-stepfunctions agree"
            else:
                undecided.append(c["id"])
                c.pop("expected", None)
                c["decided_by"] = "UNDECIDED: the peers disagree; add an `aws` answer with its source"
        if not args.check:
            f.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    decided = [c for c in every if "expected" in c]
    print(f"{len(every)} cases, {len(decided)} decided "
          f"({sum(c['decided_by'].startswith('AWS') for c in decided)} by AWS's documentation or recordings, "
          f"{sum(c['decided_by'].startswith('moto and') for c in decided)} by both peers agreeing)")
    for peer in PEERS:
        hits = sum(agrees(c["references"][peer], c["expected"]) for c in decided)
        print(f"  {peer:<24} agrees with the expected answer on {hits}/{len(decided)} = {100 * hits / max(len(decided), 1):.0f}%")
    if undecided:
        print("UNDECIDED (the peers disagree and no `aws` answer is given): " + ", ".join(undecided))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
