"""Usable at 80×24 and on resize: every screen keeps its parts on screen at any size."""

from __future__ import annotations

from textual.widgets import Footer

from app.canvas_app import WorkflowCanvasApp

from .conftest import settle

SIZES = ((80, 24), (60, 18), (200, 60), (80, 24))
PARTS = {
    "canvas": ("#zone-deck", "#zone-replay", "#zone-dag", "#zone-statemachine", "#verifier"),
    "run": ("#axis", "#col-replay", "#col-dag", "#col-statemachine"),
    "history": ("#history-tabs",),
    "lessons": ("#scene-list", "#scene-pane"),
}


async def test_every_screen_survives_resizes_and_fits_80x24():
    app = WorkflowCanvasApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for mode, parts in PARTS.items():
            await app.action_switch_mode(mode)
            await settle(pilot)
            for width, height in SIZES:
                await pilot.resize_terminal(width, height)
                await pilot.pause()
                footer = app.screen.query_one(Footer).region
                assert footer.height == 1 and footer.y == height - 1
                if (width, height) == (80, 24):
                    for selector in parts:
                        region = app.screen.query_one(selector).region
                        assert region.width >= 10 and region.height >= 1, (mode, selector, region)
                        assert region.right <= 80 and region.bottom <= 23, (mode, selector, region)
