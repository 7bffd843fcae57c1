"""Help is built from the live bindings; the palette jumps to scenes, runs scenarios, switches theme."""

from __future__ import annotations

from textual.widgets import DataTable

from app.canvas_app import WorkflowCanvasApp
from app.screens.help import HelpScreen

from .conftest import SIZE, settle


def help_rows(app) -> list[tuple[str, str, str]]:
    table = app.screen.query_one("#help-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_help_lists_the_live_bindings_of_each_screen():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for mode, must in (("canvas", {"→ replay", "→ DAG", "Run", "Quit", "Lessons"}),
                           ("run", {"Play", "cancelOrder", "Crash", "Step", "End"}),
                           ("lessons", {"Next scene", "Previous", "Run demo"})):
            await app.action_switch_mode(mode)
            await settle(pilot)
            expected = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.description and b.binding.id}
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            described = {row[1] for row in help_rows(app)}
            assert must <= described
            assert expected <= described  # every live binding, not a hand-kept list
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)


async def test_palette_switches_to_the_projector_theme_and_jumps_to_a_scene():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Theme: projector")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "projector"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Scene 6.5")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "lessons"
        assert app.screen.scene.number == "06a"
        await pilot.press("t")  # the projector key toggles back
        assert app.theme != "projector"
