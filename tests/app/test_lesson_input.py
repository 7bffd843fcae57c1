"""Escape always leaves a lesson's number box (and a choice), and then n, p, r and q work again."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Select

from app.canvas_app import WorkflowCanvasApp
from app.screens.lesson import LessonScreen

from .conftest import settle, static_text


async def test_escape_leaves_the_number_box_and_n_p_r_q_work_again():
    app = WorkflowCanvasApp()
    async with app.run_test(size=(76, 21)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        screen.show_scene("07")
        await settle(pilot)
        box = screen.query_one("#knob-crashes_during_wait", Input)
        box.focus()
        await pilot.pause()
        await pilot.press("end", "backspace", "4", "n", "p", "r", "q")  # in the box, keys are typing
        await pilot.pause()
        assert app.focused is box and box.value == "4"  # a number box keeps digits only
        assert screen.scene.number == "07" and app.is_running
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, OptionList)  # out of the box, back on the scene list
        await pilot.press("n")
        await settle(pilot)
        assert screen.scene.number == "08"
        await pilot.press("p")
        await settle(pilot)
        assert screen.scene.number == "07"

        box = screen.query_one("#knob-crashes_during_wait", Input)
        box.focus()
        await pilot.press("end", "backspace", "1", "enter")  # Enter leaves the box too
        await pilot.pause()
        assert isinstance(app.focused, OptionList)
        await pilot.press("r")  # the typed value is the demo's
        await settle(pilot)
        await settle(pilot)
        result = static_text(screen.query_one("#demo-result"))
        assert "1 crash" in result, result

        screen.show_scene("04")
        await settle(pilot)
        choice = screen.query_one(Select)
        choice.focus()
        await pilot.press("enter")  # opens the list of choices
        await pilot.pause()
        assert choice.expanded
        await pilot.press("escape")  # closes it
        await pilot.pause()
        assert not choice.expanded
        await pilot.press("escape")  # leaves the control
        await pilot.pause()
        assert isinstance(app.focused, OptionList)
        await pilot.press("n")
        await settle(pilot)
        assert screen.scene.number == "05"
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running
