"""The run view's real-engines column (R): the same scenario on real Temporal beside the replay
engine, with every difference listed, or why the real engine cannot be had here."""

from __future__ import annotations

import pytest

from app.canvas_app import WorkflowCanvasApp
from app.widgets.run.real_column import RealColumn
from workloads.eject import RealEngineUnavailable
from workloads.eject.temporal.dev_server import require_sdk, temporal_binary

from .conftest import settle
from .test_run import open_run


async def test_r_runs_the_scenario_on_real_temporal_and_shows_no_difference():
    try:
        require_sdk()
        temporal_binary()
    except RealEngineUnavailable as exc:
        pytest.skip(str(exc))
    app = WorkflowCanvasApp()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_run(pilot, "expense-approval", "approve")
        column = screen.query_one(RealColumn)
        assert not column.display or not screen.has_class("-real")
        screen.real_systems = ("temporal",)
        await pilot.press("R")
        assert screen.has_class("-real") and column.pending == {"temporal"}
        for _ in range(600):  # bounded: the dev server and the workflow take a few seconds
            if column.done:
                break
            await pilot.pause(0.1)
        assert column.done, column.results
        result = column.results["temporal"]
        assert result["same"], result["differences"]
        assert result["real"]["status"] == result["mini"]["status"] == "COMPLETED"
        text = column.render().plain if hasattr(column.render(), "plain") else str(column.render())
        assert "same status, ledger and steps" in text and "COMPLETED · COMPLETED" in text
        await pilot.press("R")  # hides the column again; the results stay for this run
        assert not screen.has_class("-real") and column.done
        await settle(pilot)
