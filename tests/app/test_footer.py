"""The footer keeps its keys across re-runs: none is rebuilt, none is leaked, dimmed keys still dim."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from app.canvas_app import WorkflowCanvasApp

from .conftest import SIZE, settle


async def open_run_view(app, pilot):
    await settle(pilot)
    await app.open_run("order-1001", "happy")
    await settle(pilot)
    return app.screen


def footer_keys_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))


async def test_re_runs_rebuild_no_footer_key_and_leave_none_alive():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run_view(app, pilot)
        before = footer_keys_alive()
        shown = [(k.action, k.key) for k in screen.query(FooterKey)]
        for scenario in ("cancel", "crash", "happy", "cancel"):
            screen.load("order-1001", scenario, 3.0 if scenario != "happy" else None)  # type: ignore[attr-defined]
            await settle(pilot)
        assert footer_keys_alive() == before  # Textual's footer left 14 a re-run alive
        assert [(k.action, k.key) for k in screen.query(FooterKey)] == shown


async def test_a_key_dims_in_place_while_it_cannot_act():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run_view(app, pilot)
        crash = next(k for k in screen.query(FooterKey) if k.action == "act('crash')")
        screen.busy = True  # as while the engines run: the act keys cannot act
        screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert crash.has_class("-disabled") and crash.is_attached
        screen.busy = False
        screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert not crash.has_class("-disabled") and crash.is_attached
