"""The live demos of the 13 scenes: each drives the real engines and services with the scene's knobs.

    from lessons.demos import run_demo
    result = run_demo("07", crashes_during_wait=3, wait_with="thread_sleep")

`run_demo` checks the knobs against the scene's front matter (unknown names and bad values are
a `SceneError`), fills in the defaults and runs that scene's module. Each demo builds its own
engine on a fresh virtual clock starting at day 0, so demos are independent and repeatable.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Any

from lessons.demos.result import DemoResult
from lessons.scenes import get_scene

#: Scene number → the module (in this package) whose `demo(**knobs)` runs it.
MODULES: dict[str, str] = {
    "01": "s01_crash",
    "02": "s02_history",
    "03": "s03_replay",
    "04": "s04_activities",
    "05": "s05_task_queues",
    "06": "s06_retries",
    "06a": "s06a_idempotency",
    "07": "s07_timers",
    "08": "s08_signals",
    "09": "s09_saga",
    "10": "s10_children",
    "11": "s11_versioning",
    "12": "s12_canvas",
}


def run_demo(number: str, **knobs: Any) -> DemoResult:
    """Run scene `number`'s demo ("7", "07", "6.5", "06a"…) with `knobs` over the defaults."""
    scene = get_scene(number)
    values = scene.knob_values(knobs)
    module = importlib.import_module(f"lessons.demos.{MODULES[scene.number]}")
    result: DemoResult = module.demo(**values)
    return replace(result, scene=scene.number, knobs=dict(values))


__all__ = ["MODULES", "DemoResult", "run_demo"]
