"""Pictures of the lesson list, a lesson with its demo result, and help, at 80×24 and a projector's 76×21.

A classroom's projector at ?fontsize=28 gives about 76×21 cells: these are the pictures a class
sees. Regenerate after an intended change of the look (this file's pictures only):
    .venv/bin/python -m pytest tests/app/test_classroom_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from app.canvas_app import WorkflowCanvasApp

from .conftest import settle, static_text

SIZES = {"80x24": (80, 24), "76x21": (76, 21)}


async def quiet(pilot) -> None:
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def open_lessons(pilot) -> None:
    await settle(pilot)
    await pilot.press("l")
    await quiet(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_the_lesson_list(snap_compare, size):
    assert snap_compare(WorkflowCanvasApp(), terminal_size=SIZES[size], run_before=open_lessons)


@pytest.mark.parametrize("size", SIZES)
def test_scene_04_with_its_demo_result(snap_compare, size):
    async def run_before(pilot) -> None:
        await open_lessons(pilot)
        pilot.app.screen.show_scene("04")
        await quiet(pilot)
        await pilot.press("r")
        screen = pilot.app.screen
        for _ in range(100):  # the demo runs in a thread; on a loaded machine its result can come late
            await quiet(pilot)
            if "Workflow code is BLUE" in static_text(screen.query_one("#demo-result")):
                break
        pane = screen.query_one("#scene-pane")
        for _ in range(20):  # then the pane scrolls to the result's headline, after the result is laid out
            before = pane.scroll_y
            await quiet(pilot)
            if pane.scroll_y == before:
                break

    assert snap_compare(WorkflowCanvasApp(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_in_a_lesson(snap_compare, size):
    async def run_before(pilot) -> None:
        await open_lessons(pilot)
        await pilot.press("question_mark")
        await quiet(pilot)

    assert snap_compare(WorkflowCanvasApp(), terminal_size=SIZES[size], run_before=run_before)
