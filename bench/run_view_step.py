"""How long stepping one virtual day takes to redraw the run view (issue 11: under 100 ms).

Headless app, real screens: ORDER #1001 (happy, and cancel on day 3) at 80x24, 120x40 and 200x50.
Two figures per step, over interleaved runs (sizes and scenarios take turns, so a busy moment of
the machine falls on all of them alike):
* `press`: the `]` key through Pilot until the app has handled it and drawn the frame
  (Textual's whole path: binding, pictures, layout, compositor);
* `idle`: an unbound key the same way: Pilot's own round trip, which `press` includes (with
  6 other sessions on 2 cores it is most of it);
* `pictures`: the three columns' `at()` (each picture's record from its engine's history) plus
  rendering every picture widget once, without Textual's compositor.

    .venv/bin/python bench/run_view_step.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

SIZES = ((80, 24), (120, 40), (200, 50))
CASES = (("happy", None), ("cancel", 3.0))


async def one_round(size: tuple[int, int], scenario: str, day: float | None, press: list[float], idle: list[float],
                    pictures: list[float]) -> None:
    from app.canvas_app import WorkflowCanvasApp
    from app.screenshot import settle
    from app.widgets.run.column import EngineColumn

    app = WorkflowCanvasApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await app.open_run("order-1001", scenario, day)
        await settle(pilot)
        screen = app.screen
        screen.action_to_start()  # type: ignore[attr-defined]
        await pilot.pause()
        columns = list(screen.query(EngineColumn))
        for _ in range(int(screen.end)):  # type: ignore[attr-defined]
            t0 = time.perf_counter()
            await pilot.press("right_square_bracket")
            await pilot.pause()
            press.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await pilot.press("z")  # bound to nothing on the run screen
            await pilot.pause()
            idle.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for column in columns:
                column.at(screen.now + 1e-3)  # type: ignore[attr-defined]
                column.picture.render()
            pictures.append(time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over every size and scenario")
    args = parser.parse_args()
    press: dict[str, list[float]] = {}
    idle: dict[str, list[float]] = {}
    pictures: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for size in SIZES:
            for scenario, day in CASES:
                key = f"{size[0]}x{size[1]} {scenario}"
                asyncio.run(one_round(size, scenario, day, press.setdefault(key, []), idle.setdefault(key, []),
                                      pictures.setdefault(key, [])))
    print(f"{'case':<15} {'steps':>5}  {'press ms min/med/max':>23}  {'idle ms min/med/max':>23}  "
          f"{'pictures ms min/med/max':>24}")
    for key in press:
        p, i, q = ([x * 1000 for x in d[key]] for d in (press, idle, pictures))
        print(f"{key:<15} {len(p):>5}  " + "  ".join(f"{min(v):7.1f} {statistics.median(v):7.1f} {max(v):7.1f}"
                                                   for v in (p, i, q)))


if __name__ == "__main__":
    main()
