"""A scene's knobs read back while the scene is still being built.

The long monkey found it: `n` (next scene) rebuilds the knob controls, and a Run that lands in the
same instant read a control that was mounted but not yet composed (NoMatches '#knob-inject_random').
The control is about to show its knob's default, so that is the value the demo gets.
"""

from __future__ import annotations

from app.canvas_app import WorkflowCanvasApp
from app.widgets.knobs import KnobControl

from .conftest import SIZE, settle


async def test_run_pressed_while_the_next_scenes_knobs_are_mounting_runs_with_their_defaults():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.open_scene("02")
        await settle(pilot)
        screen = app.screen
        screen.show_scene("03")  # no await: its knobs are mounted, not yet composed
        controls = [c for c in screen.query(KnobControl) if c.knob.name == "inject_random"]
        assert controls and not controls[0].children
        assert controls[0].value() is controls[0].knob.default
        screen.action_run_demo()
        await settle(pilot)
        assert app._exception is None
        composed = next(c for c in screen.query(KnobControl) if c.knob.name == "inject_random")
        assert composed.children and composed.value() == composed.knob.default
