"""Benchmark (not a test): the ASL engine against moto's Step Functions, like with like.

    .venv/bin/python bench/asl_speed.py [--repeat 3] [--map-items 5000] [--whole map-10,pass-chain|small|all]
                                        [--only a,b] [--moto /work/peers/moto-venv/bin/python]

Definitions, small and big: pass-chain, choice, parallel-map, intrinsics and map-10 (a Map of 10
items), then map-5000 (a Map of --map-items items), chain-200 (200 Pass states in a row) and
parallel-50 (a Parallel of 50 branches). The same definitions and inputs run on both; the
outputs are compared.

The peer is moto's Step Functions interpreter (`execute_state_machine: True`), in its own venv
(--moto or $MOTO_PYTHON, default /work/peers/moto-venv/bin/python; `pip install
"moto[stepfunctions]"` there). moto keeps executions in memory only, so our engine runs on
in-memory SQLite here: both in-memory. Two comparisons:

1. warm, in-process: each side is one long-lived worker process that built its engine (moto: the
   mock and a boto3 client) once and created every state machine once. A sample is K executions
   run one after another (StartExecution, then until it has ended: moto runs it in a thread, so
   DescribeExecution is polled every millisecond until the status and, for SUCCEEDED, the output
   are there), timed inside the worker. Samples alternate:
   ours, moto, ours, moto, …
2. whole process vs whole process: one fresh process per sample that imports its engine, builds
   it, creates the state machine, runs one execution and exits, timed from spawn to exit,
   alternating ours and moto. By default for map-10 and pass-chain (moto's process start alone
   takes seconds); --whole small or --whole all for more.

Each line gives milliseconds per execution, min/median/max, for each side and the ratio
moto/ours (min/median/max over the interleaved pairs). Our engine on an SQLite file (WAL,
synchronous=NORMAL, a commit per transition) is printed beside the warm figures for
information only: moto has nothing durable to compare it with. Without moto the peer columns
say so and only our figures are printed. moto is never a dependency of the app or the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_MOTO = "/work/peers/moto-venv/bin/python"


def _map(n: int) -> tuple[dict, Any]:
    return ({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"d.$": "$"}, "End": True}}}}}},
        {"items": list(range(n))})


def _chain(n: int) -> tuple[dict, Any]:
    states = {f"S{i}": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": f"S{i + 1}"}
              for i in range(n)}
    states[f"S{n - 1}"] = {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "End": True}
    return {"StartAt": "S0", "States": states}, {"n": 0}


def _parallel(n: int) -> tuple[dict, Any]:
    return ({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"branch": i, "in.$": "$.x"}, "Next": "B"},
                                    "B": {"Type": "Pass", "OutputPath": "$.branch", "End": True}}}
        for i in range(n)]}}}, {"x": 1})


SMALL: dict[str, tuple[dict, Any]] = {
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
    "map-10": _map(10),
}


def definitions(map_items: int) -> dict[str, tuple[dict, Any]]:
    return {**SMALL, f"map-{map_items}": _map(map_items), "chain-200": _chain(200), "parallel-50": _parallel(50)}


#: executions per warm sample (ours, moto): each sample takes a fraction of a second to a few seconds
def per_sample(name: str) -> tuple[int, int]:
    if name in SMALL:
        return 100, 10
    return (1, 1) if name.startswith("map-") else (5, 1)


# A worker: reads {"name", "k"} lines, answers {"seconds", "status", "output"}; or, with --once NAME,
# runs one execution of NAME and exits (the whole-process sample). Both sides speak the same protocol.
OURS = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
defs = json.loads(sys.argv[2]); mode = sys.argv[3]
from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine
import tempfile, os
db = ":memory:" if mode != "file" else os.path.join(tempfile.mkdtemp(), "bench.db")
engine = Engine(db, VirtualClock(EPOCH))
for name, (d, inp) in defs.items():
    engine.create_state_machine(name, d)
def one(name):
    arn = engine.start_execution(name, defs[name][1])
    engine.run_until_idle()
    return engine.describe_execution(arn)
if len(sys.argv) > 4:
    d = one(sys.argv[4]); print(json.dumps({"status": d["status"], "output": d["output"]})); sys.exit(0)
for name in defs:
    one(name)  # warm: every definition has run once
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line); t = time.perf_counter()
    for _ in range(req["k"]):
        d = one(req["name"])
    print(json.dumps({"seconds": time.perf_counter() - t, "status": d["status"], "output": d["output"]}), flush=True)
'''

MOTO = r'''
import json, sys, time
defs = json.loads(sys.argv[2])
import boto3
from moto import mock_aws
mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}}); mock.start()
sfn = boto3.client("stepfunctions", region_name="us-east-1")
arns = {name: sfn.create_state_machine(name=name, definition=json.dumps(d),
                                       roleArn="arn:aws:iam::123456789012:role/x")["stateMachineArn"]
        for name, (d, inp) in defs.items()}
count = [0]
def one(name):
    count[0] += 1
    ex = sfn.start_execution(stateMachineArn=arns[name], name=f"e{count[0]}", input=json.dumps(defs[name][1]))["executionArn"]
    while True:
        d = sfn.describe_execution(executionArn=ex)
        # moto can report SUCCEEDED a moment before the output is set: done means the output is there too
        if d["status"] != "RUNNING" and (d["status"] != "SUCCEEDED" or "output" in d):
            return d
        time.sleep(0.001)
def answer(d):
    try:
        out = json.loads(d.get("output") or "null")
    except ValueError:
        out = d.get("output")
    return {"status": d["status"], "output": out, "error": d.get("error"), "cause": d.get("cause")}
if len(sys.argv) > 4:
    print(json.dumps(answer(one(sys.argv[4])))); sys.exit(0)
for name in defs:
    one(name)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line); t = time.perf_counter()
    for _ in range(req["k"]):
        d = one(req["name"])
    print(json.dumps({"seconds": time.perf_counter() - t, **answer(d)}), flush=True)
'''


class Worker:
    """A long-lived process running one side's engine, warm."""

    def __init__(self, python: str, script: str, defs: dict, mode: str = "memory") -> None:
        self.proc = subprocess.Popen([python, "-c", script, str(ROOT), json.dumps(defs), mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        ready = self._read()
        if not ready.get("ready"):
            raise RuntimeError(f"worker did not start: {ready}")

    def _read(self) -> dict:
        out: IO[str] | None = self.proc.stdout
        assert out is not None
        line = out.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(err.strip().splitlines()[-1] if err.strip() else "worker exited")
        return json.loads(line)

    def run(self, name: str, k: int) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"name": name, "k": k}) + "\n")
        self.proc.stdin.flush()
        r = self._read()
        r["per_exec"] = r["seconds"] / k
        return r

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def whole(python: str, script: str, defs: dict, name: str) -> tuple[float, dict]:
    t = time.perf_counter()
    proc = subprocess.run([python, "-c", script, str(ROOT), json.dumps({name: defs[name]}), "memory", name],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return seconds, json.loads(proc.stdout.strip().splitlines()[-1])


def mmm(xs: list[float], scale: float = 1000.0, fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(x * scale) for x in (min(xs), statistics.median(xs), max(xs)))


def same(a: dict, b: dict) -> bool:
    return a.get("status") == b.get("status") and a.get("output") == b.get("output")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved samples per side and definition")
    ap.add_argument("--map-items", type=int, default=5000, help="items of the big Map (default 5000)")
    ap.add_argument("--whole", default="map-10,pass-chain",
                    help="definitions compared as whole processes: names, 'small' or 'all'")
    ap.add_argument("--only", default="", help="comma-separated definition names")
    ap.add_argument("--moto", default=os.environ.get("MOTO_PYTHON", DEFAULT_MOTO), help="a python with moto installed")
    args = ap.parse_args()
    defs = definitions(args.map_items)
    if args.only:
        defs = {k: v for k, v in defs.items() if k in args.only.split(",")}
    moto_ok = Path(args.moto).exists()
    if not moto_ok:
        print(f"moto: skipped ({args.moto} not found; create it with: python3 -m venv /work/peers/moto-venv && "
              f"/work/peers/moto-venv/bin/pip install 'moto[stepfunctions]')")

    print("1. warm, in-process: one long-lived worker per side (engine built once, state machines created once),")
    print("   both in-memory; ms per execution min/median/max; samples interleaved ours, moto, ours, moto, ...")
    print(f"   {'definition':<14} {'ours ms':>22} {'moto ms':>26} {'moto/ours':>20}  same output   "
          f"ours on a file (info) ms")
    ours = Worker(sys.executable, OURS, defs)
    ours_file = Worker(sys.executable, OURS, defs, mode="file")
    peer = None
    if moto_ok:
        try:
            peer = Worker(args.moto, MOTO, defs)
        except RuntimeError as exc:
            print(f"   moto: not run ({exc})")
    try:
        for name in defs:
            k_ours, k_moto = per_sample(name)
            mine, theirs, ratios, on_file = [], [], [], []
            agree = True
            for _ in range(args.repeat):
                a = ours.run(name, k_ours)
                mine.append(a["per_exec"])
                if peer is not None:
                    b = peer.run(name, k_moto)
                    theirs.append(b["per_exec"])
                    ratios.append(b["per_exec"] / a["per_exec"])
                    agree = agree and same(a, b)
                on_file.append(ours_file.run(name, k_ours)["per_exec"])
            if peer is not None:
                print(f"   {name:<14} {mmm(mine):>22} {mmm(theirs):>26} {mmm(ratios, 1.0, '{:.0f}x'):>20}  "
                      f"{str(agree):<12} {mmm(on_file)}")
            else:
                print(f"   {name:<14} {mmm(mine):>22} {'-':>26} {'-':>20}  {'-':<12} {mmm(on_file)}")
    finally:
        for w in (ours, ours_file, peer):
            if w is not None:
                w.close()

    print()
    print("2. whole process vs whole process: a fresh process per sample (import, build the engine, create the")
    print("   state machine, run one execution, exit), both in-memory; ms from spawn to exit, interleaved")
    print(f"   {'definition':<14} {'ours ms':>26} {'moto ms':>28} {'moto/ours':>20}  same output")
    wanted = args.whole.split(",")
    names = [n for n in defs if "all" in wanted or ("small" in wanted and n in SMALL) or n in wanted]
    for name in names:
        mine, theirs, ratios = [], [], []
        agree = True
        for _ in range(args.repeat):
            s_ours, a = whole(sys.executable, OURS, defs, name)
            mine.append(s_ours)
            if moto_ok:
                try:
                    s_moto, b = whole(args.moto, MOTO, defs, name)
                except RuntimeError as exc:
                    print(f"   moto: not run ({exc})")
                    moto_ok = False
                    continue
                theirs.append(s_moto)
                ratios.append(s_moto / s_ours)
                agree = agree and same(a, b)
        if theirs:
            print(f"   {name:<14} {mmm(mine, fmt='{:.0f}'):>26} {mmm(theirs, fmt='{:.0f}'):>28} "
                  f"{mmm(ratios, 1.0, '{:.1f}x'):>20}  {agree}")
        else:
            print(f"   {name:<14} {mmm(mine, fmt='{:.0f}'):>26} {'-':>28} {'-':>20}")
    if "all" not in wanted:
        print("   (the others: --whole small or --whole all)")
    print()
    print(f"Target: ours >= 10x moto at a Map of 10 and of {args.map_items:,} items (warm lines map-10 and "
          f"map-{args.map_items}).")


if __name__ == "__main__":
    main()
