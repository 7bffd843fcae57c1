"""SVG snapshots of the canvas (after a placement), the side-by-side run and a lesson.

Regenerate after an intended change of the look (or of the cards, scenes, verifier wording):
    .venv/bin/python -m pytest tests/app/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

import pytest

from app.canvas_app import WorkflowCanvasApp

from .conftest import settle

SIZE = (100, 30)


@pytest.fixture
def fixed_worker_identity(monkeypatch):
    """A replay worker names itself pid@host-random; the run view prints it. Fix it for pictures."""
    from engines.replay import worker

    monkeypatch.setattr(worker, "os", SimpleNamespace(getpid=lambda: 1001, _exit=os._exit, environ=os.environ))
    monkeypatch.setattr(worker, "HOST", "classroom")
    monkeypatch.setattr(worker, "uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(int=0xC0FFEE)))


async def quiet(pilot) -> None:
    """The picture a person sees once everything has come to rest.

    Focus scrolls its widget into view with an animation, so on a loaded machine a picture taken
    straight after a key press caught the deck's scrollbar mid-scroll (the flaky canvas snapshot):
    wait for every scheduled animation to finish, then for the messages they post.
    """
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()
    pilot.app.clear_notifications()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def test_canvas_after_a_placement(snap_compare):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#card-B").focus()
        await pilot.press("2")
        await quiet(pilot)
        # the verdict flashes for 0.8 s; on a slow machine the picture could catch it or not
        pilot.app.screen.query_one("#verifier").remove_class("-flash")
        await pilot.pause()

    assert snap_compare(WorkflowCanvasApp(), terminal_size=SIZE, run_before=run_before)


def test_side_by_side_run_cancel_on_day_3(snap_compare, fixed_worker_identity):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.app.open_run("order-1001", "cancel", 3.0)
        await settle(pilot)
        await pilot.press("e")
        await quiet(pilot)

    assert snap_compare(WorkflowCanvasApp(), terminal_size=SIZE, run_before=run_before)


def test_lesson_scene_07(snap_compare):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.app.open_scene("07")
        await quiet(pilot)

    assert snap_compare(WorkflowCanvasApp(), terminal_size=SIZE, run_before=run_before)
