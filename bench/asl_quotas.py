"""What the state machine's service quotas cost per transition: the 256 KiB payload check and the
25,000-event history count, measured against the same runs with the payload check switched off.

    .venv/bin/python bench/asl_quotas.py [-n 7] [--loops 1000]

A counting loop (Pass → Choice, `--loops` times round) runs on a fresh in-memory engine; the two
variants are interleaved run by run, and min/median/max seconds are printed for each.
"""

from __future__ import annotations

import argparse
import statistics
import time

from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine, interpreter, task


def loop(n: int) -> dict:
    return {"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "pad.$": "$.pad"}, "Next": "More"},
        "More": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": n, "Next": "Count"}],
                 "Default": "Done"},
        "Done": {"Type": "Succeed"}}}


def once(n: int) -> float:
    engine = Engine(":memory:", VirtualClock(EPOCH))
    engine.create_state_machine("m", loop(n))
    t = time.perf_counter()
    arn = engine.start_execution("m", {"i": 0, "pad": "x" * 2000})
    engine.run_until_idle()
    took = time.perf_counter() - t
    assert engine.describe_execution(arn)["status"] == "SUCCEEDED"
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=7, help="runs of each variant")
    ap.add_argument("--loops", type=int, default=1000, help="times round the loop (4 events each)")
    args = ap.parse_args()
    real = interpreter.too_large, task.too_large
    times: dict[str, list[float]] = {"with the payload check": [], "without it": []}
    for _ in range(args.n):
        interpreter.too_large, task.too_large = real
        times["with the payload check"].append(once(args.loops))
        interpreter.too_large = task.too_large = lambda value: False  # type: ignore[assignment]
        times["without it"].append(once(args.loops))
    interpreter.too_large, task.too_large = real
    events = 4 * args.loops + 3
    for name, ts in times.items():
        print(f"{name:<24} min {min(ts):.3f} s  median {statistics.median(ts):.3f} s  max {max(ts):.3f} s  "
              f"({events} events, {1e6 * statistics.median(ts) / events:.0f} µs an event)")


if __name__ == "__main__":
    main()
