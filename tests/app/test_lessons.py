"""The course walkthrough: all 13 scenes in order, their knobs as controls, the demo, scene 12."""

from __future__ import annotations

from textual.widgets import Input, Switch

from app.widgets.picker import Picker

from app.canvas_app import WorkflowCanvasApp
from app.screens.lesson import LessonScreen
from app.widgets.knobs import KnobControl
from lessons.scenes import all_scenes

from .conftest import SIZE, settle, static_text


async def open_lessons(pilot) -> LessonScreen:
    await settle(pilot)
    await pilot.press("l")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen


async def test_next_walks_all_13_scenes_in_order_and_previous_walks_back():
    scenes = all_scenes()
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lessons(pilot)
        seen = []
        for i, scene in enumerate(scenes):
            title = static_text(screen.query_one("#scene-title"))
            assert f"Scene {scene.display}" in title and scene.title in title
            controls = list(screen.query(KnobControl))
            assert [c.knob.name for c in controls] == [k.name for k in scene.knobs]
            for control in controls:  # each knob is the right kind of control, at its default
                assert control.value() == control.knob.default
            seen.append(screen.scene.number)
            if i < len(scenes) - 1:
                await pilot.press("n")
                await pilot.pause()
        assert seen == [s.number for s in scenes] and len(seen) == 13
        await pilot.press("n")  # past the last scene: stays on 12
        assert screen.scene.number == "12"
        await pilot.press("p", "p")
        await pilot.pause()
        assert screen.scene.number == "10"
        await pilot.press("left_square_bracket")  # [ is previous too
        assert screen.scene.number == "09"


async def test_knob_controls_match_their_kind():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lessons(pilot)
        screen.show_scene("06")
        await pilot.pause()
        kinds = {c.knob.kind: type(c.query_one(f"#knob-{c.knob.name}")) for c in screen.query(KnobControl)}
        assert kinds == {"int": Input, "choice": Picker, "bool": Switch}
        # a bad number is refused with the knob's name, and no demo starts
        control = next(c for c in screen.query(KnobControl) if c.knob.kind == "int")
        control.query_one(Input).value = "999999"
        await pilot.press("r")
        await pilot.pause()
        assert not screen.demo_running
        assert any(control.knob.label in str(n.message) for n in app._notifications)


async def test_scene_12_opens_the_canvas():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lessons(pilot)
        await pilot.press("o")  # not on scene 01
        assert app.current_mode == "lessons"
        screen.show_scene("12")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert app.current_mode == "canvas"


async def test_run_demo_renders_the_real_demo_result():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lessons(pilot)
        screen.show_scene("01")
        await pilot.pause()
        await pilot.press("r")
        await settle(pilot)
        assert not screen.demo_running
        text = static_text(screen.query_one("#demo-result"))
        from lessons.demos import run_demo

        expected = run_demo("01", **{k.name: k.default for k in screen.scene.knobs})
        assert "$84" in expected.headline  # the scene's point: a rerun from the top charges twice
        assert expected.headline in text
        assert all(line in text for line in expected.lines)
