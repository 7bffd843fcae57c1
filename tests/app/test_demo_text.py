"""Demo results read as text (tables, coloured words, no Python dicts); scene titles whole in the list."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from textual.widgets import OptionList

from app.canvas_app import WorkflowCanvasApp
from app.screens.lesson import LessonScreen, demo_text
from lessons.demos import run_demo
from lessons.scenes import all_scenes

from .conftest import screen_text, settle, static_text

#: What printing Python data showed: dict braces, quoted keys, an enum's repr.
RAW = re.compile(r"\{'|'\}|': |\[\'|<\w+\.\w+: '|WorkflowExecutionStatus")


def words_and_colours(renderable) -> list[tuple[str, str]]:
    """(text, colour name) of each piece a terminal would print."""
    console = Console(width=100, file=io.StringIO(), color_system="truecolor")
    return [(seg.text.strip(), colour_name(seg.style.color) if seg.style and seg.style.color else "")
            for seg in console.render(renderable) if seg.text.strip()]


def colour_name(color) -> str:
    """"blue" or "red" for a colour whose hue is one of them (a theme-proof true colour), else its name."""
    r, g, b = color.get_truecolor()
    if b > 1.5 * max(r, g) and b > 150:
        return "blue"
    if r > 1.5 * max(g, b) and r > 150:
        return "red"
    return color.name


def test_scene_04s_colours_are_coloured_words_not_a_dict():
    result = run_demo("04")
    view = demo_text(result)
    pieces = words_and_colours(view)
    text = " ".join(t for t, _ in pieces)
    assert not RAW.search(text), text
    colours = dict(pieces)
    assert colours.get("blue") == "blue" and colours.get("red") == "red"  # the words in their colour
    assert ("BLUE", "blue") in pieces and ("RED", "red") in pieces        # and in the headline
    assert "colours" in text and "workflow code" in text and "ChargeCard" in text and "replayed events" in text


@pytest.mark.parametrize("number", ["06", "10", "11", "12"])
def test_a_demos_figures_are_words_not_python(number):
    result = run_demo(number)
    text = " ".join(t for t, _ in words_and_colours(demo_text(result)))
    assert not RAW.search(text), text
    assert "True" not in text and "False" not in text and "None" not in text


def test_amounts_statuses_and_lists_read_as_words():
    text = " ".join(t for t, _ in words_and_colours(demo_text(run_demo("09"))))
    assert "$42.00" in text                                 # charged_cents 4200
    assert "Failed" in text                                 # WorkflowExecutionStatus.FAILED
    assert "ReleaseInventory, RefundCard" in text           # a list


async def test_titles_are_whole_in_the_list_at_every_width_and_the_lesson_shows_04_readably():
    app = WorkflowCanvasApp()
    async with app.run_test(size=(76, 21)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        options = screen.query_one("#scene-list", OptionList)
        for size in ((76, 21), (80, 24), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            for i, scene in enumerate(all_scenes()):
                options.highlighted = i  # scrolls it into view
                await pilot.pause()
                region = options.scrollable_content_region  # without the scrollbar
                lines = screen_text(app).splitlines()[region.y:region.bottom]
                shown = " ".join(" ".join(line[region.x:region.right].split()) for line in lines)
                assert f"{scene.display} {scene.title}" in shown, (size, scene.title, shown)
                assert "…" not in shown

        await pilot.resize_terminal(76, 21)
        screen.show_scene("04")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        shown = static_text(screen.query_one("#demo-result"))
        assert "Workflow code is BLUE" in shown and "ChargeCard" in shown
        assert not RAW.search(shown) and not RAW.search(screen_text(app))
        assert "Workflow code is BLUE" in screen_text(app)  # scrolled to its headline, on a 21-row screen
