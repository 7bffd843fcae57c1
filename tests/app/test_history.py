"""The history inspector shows the last run: replay history, the DAG grid, the state machine."""

from __future__ import annotations

from textual.widgets import DataTable

from app.canvas_app import WorkflowCanvasApp
from app.screens.history import HistoryScreen

from .conftest import SIZE, settle, static_text



async def test_history_inspector_shows_all_three_engines_of_the_last_run():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.open_run("order-1001", "cancel", 3.0)
        await settle(pilot)
        runs = app.latest_runs
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen) and screen.shown is runs

        history = screen.query_one("#replay-history", DataTable)
        rows = [[str(c) for c in history.get_row_at(i)] for i in range(history.row_count)]
        types = [row[2] for row in rows]
        assert len(rows) == len(runs["replay"].replay.history)
        assert "WorkflowExecutionSignaled" in types and "TimerStarted" in types
        assert rows[0][0] == "1" and rows[0][1] == "d  0.00"

        await pilot.press("2")
        await pilot.pause()
        grid = static_text(screen.query_one("#dag-grid"))
        for row in runs["dag"].dag.grid:
            assert row["task_id"] in grid and row["state"] in grid

        await pilot.press("3")
        await pilot.pause()
        drawing = static_text(screen.query_one("#sm-drawing"))
        for state in runs["statemachine"].statemachine.states:
            assert state["name"] in drawing
        events = screen.query_one("#sm-events", DataTable)
        assert events.row_count == len(runs["statemachine"].statemachine.history)


async def test_history_inspector_runs_order_1001_when_nothing_ran_yet():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert app.latest_runs is not None and app.screen.shown is app.latest_runs
        assert app.latest_runs["replay"].scenario == "happy"


async def test_replay_tab_draws_the_replayed_live_boundary_after_a_crash():
    from workloads.runner import run_side_by_side

    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        app.runs_updated(run_side_by_side("order-1001", "crash"))
        await pilot.press("i")
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one("#replay-history", DataTable)
        cells = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert any("replayed above · live below" in c for c in cells)
