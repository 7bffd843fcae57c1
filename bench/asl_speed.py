"""Benchmark (not a test): executions per second of the ASL engine, and moto's as a peer.

    .venv/bin/python bench/asl_speed.py [-n 200] [--moto /path/to/venv/bin/python]

When moto is importable (here, or in the venv given with --moto / $MOTO_PYTHON, e.g.
/work/peers/moto-venv/bin/python) the same definitions run on moto's Step Functions interpreter
(`execute_state_machine: True`) in a subprocess and the ratio is printed. moto is never a
dependency of the app or the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFINITIONS: dict[str, tuple[dict, object]] = {
    "pass-chain": ({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"v.$": "$.a.x", "in.$": "$.in"}, "Next": "C"},
        "C": {"Type": "Pass", "OutputPath": "$.v", "End": True}}}, {"in": "hello"}),
    "choice": ({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"And": [{"Variable": "$.n", "NumericGreaterThan": 10}, {"Variable": "$.s", "StringMatches": "a*"}], "Next": "Big"},
            {"Variable": "$.n", "NumericLessThanEquals": 10, "Next": "Small"}], "Default": "Small"},
        "Big": {"Type": "Pass", "Result": "big", "End": True}, "Small": {"Type": "Succeed"}}}, {"n": 42, "s": "abc"}),
    "parallel-map": ({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                                              "ItemProcessor": {"StartAt": "I", "States": {
                                                  "I": {"Type": "Pass", "Parameters": {"d.$": "$"}, "End": True}}}}}},
            {"StartAt": "Q", "States": {"Q": {"Type": "Pass", "Result": 2, "End": True}}}]}}}, {"items": [1, 2, 3, 4]}),
    "intrinsics": ({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Parameters": {
        "f.$": "States.Format('Hello {}', $.name)", "l.$": "States.ArrayLength($.xs)",
        "h.$": "States.Hash($.name, 'SHA-256')", "m.$": "States.MathAdd($.n, 1)"}}}},
        {"name": "ada", "xs": [1, 2, 3], "n": 1}),
}

MOTO_SCRIPT = r"""
import json, sys, time
import boto3
from moto import mock_aws
defs = json.loads(sys.argv[1]); n = int(sys.argv[2]); out = {}
with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    for name, (d, inp) in defs.items():
        arn = sfn.create_state_machine(name=name, definition=json.dumps(d),
                                       roleArn="arn:aws:iam::123456789012:role/x")["stateMachineArn"]
        def one(i):
            ex = sfn.start_execution(stateMachineArn=arn, name=f"e{i}", input=json.dumps(inp))["executionArn"]
            while True:
                d2 = sfn.describe_execution(executionArn=ex)
                if d2["status"] != "RUNNING":
                    return d2
                time.sleep(0.001)
        first = one(-1)
        t = time.perf_counter()
        for i in range(n):
            one(i)
        try:
            output = json.loads(first.get("output") or "null")
        except ValueError:
            output = first.get("output")
        out[name] = {"per_s": n / (time.perf_counter() - t), "status": first["status"], "output": output,
                     "error": first.get("error"), "cause": first.get("cause")}
print(json.dumps(out))
"""


def ours(n: int) -> dict[str, dict]:
    from engines.clock import EPOCH, VirtualClock
    from engines.statemachine import Engine

    out = {}
    for name, (d, inp) in DEFINITIONS.items():
        engine = Engine(":memory:", VirtualClock(EPOCH))
        engine.create_state_machine(name, d)
        first = engine.describe_execution(engine.start_execution(name, inp))
        t = time.perf_counter()
        for _ in range(n):
            engine.start_execution(name, inp)
        out[name] = {"per_s": n / (time.perf_counter() - t), "status": first["status"], "output": first["output"]}
    return out


def moto(python: str, n: int) -> dict | None:
    try:
        proc = subprocess.run([python, "-c", MOTO_SCRIPT, json.dumps(DEFINITIONS), str(n)], capture_output=True,
                              text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"moto: not run ({exc})")
        return None
    if proc.returncode != 0:
        print("moto: not run:", proc.stderr.strip().splitlines()[-1:] or proc.returncode)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200, help="executions per definition for our engine")
    ap.add_argument("--moto-n", type=int, default=20, help="executions per definition for moto")
    ap.add_argument("--moto", default=os.environ.get("MOTO_PYTHON", "/work/peers/moto-venv/bin/python"))
    args = ap.parse_args()
    mine = ours(args.n)
    peer = moto(args.moto, args.moto_n) if Path(args.moto).exists() else None
    print(f"{'definition':<14} {'ours exec/s':>12} {'moto exec/s':>12} {'ratio':>8}  same output")
    for name, r in mine.items():
        m = (peer or {}).get(name)
        if m:
            same = m["status"] == r["status"] and m["output"] == r["output"]
            print(f"{name:<14} {r['per_s']:>12.0f} {m['per_s']:>12.1f} {r['per_s'] / m['per_s']:>7.0f}x  {same}")
        else:
            print(f"{name:<14} {r['per_s']:>12.0f} {'-':>12} {'-':>8}")


if __name__ == "__main__":
    main()
