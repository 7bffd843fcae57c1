"""The long monkey: 10,000 random keys, clicks, drags and resizes across every screen, several seeds.

Not a timed test: it prints how many events ran, how long they took and any traceback, and exits
non-zero if the app raised. The suite's tests/app/test_monkey.py is the short version of the same
driver (events through the driver as a terminal sends them, resizes between them).

    .venv/bin/python bench/monkey.py                 # 10,000 events, seeds 1..5
    .venv/bin/python bench/monkey.py --events 2000 --seeds 7
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.app.test_monkey import MODES, monkey  # noqa: E402  (the one driver, shared with the test)


async def main(total: int, seeds: list[int]) -> int:
    per_run = max(10, total // (len(seeds) * len(MODES)))
    keys, clicks = per_run * 7 // 8, per_run // 8
    sent = failures = 0
    started = time.perf_counter()
    for seed in seeds:
        rng = random.Random(seed)
        for mode in MODES:
            t0 = time.perf_counter()
            try:
                n = await monkey(mode, rng, keys=keys, clicks=clicks, resizes=max(1, per_run // 60))
            except BaseException:  # noqa: BLE001 - a crash is what we are looking for
                failures += 1
                print(f"seed {seed} {mode}: CRASH", flush=True)
                traceback.print_exc()
                continue
            sent += n
            print(f"seed {seed} {mode:8} {n:6,} events in {time.perf_counter() - t0:6.1f} s", flush=True)
    elapsed = time.perf_counter() - started
    print(f"{sent:,} events over {len(seeds)} seeds x {len(MODES)} screens in {elapsed:.0f} s: "
          f"{failures} crash{'es' if failures != 1 else ''}")
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.events, args.seeds)))
