"""The side-by-side run: played by virtual time, actions at a moment, the pickers, every workload."""

from __future__ import annotations

from textual.widgets import Select

from app.canvas_app import WorkflowCanvasApp
from app.screens.run import RunScreen
from app.widgets.run.day_axis import DayAxis
from app.widgets.run.why_line import WhyLine

from .conftest import SIZE, settle


def why(screen, engine: str) -> WhyLine:
    return screen.query_one(f"#col-{engine}").query_one(WhyLine)


def picture(screen, engine: str):
    return screen.query_one(f"#col-{engine}").picture.view


async def open_run(pilot, workload: str = "order-1001", scenario: str = "happy") -> RunScreen:
    await settle(pilot)
    await pilot.app.open_run(workload, scenario)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen) and screen.runs is not None
    return screen


async def test_cancel_on_day_3_refunds_on_replay_and_finds_no_actor_on_the_dag():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot)
        for _ in range(3):
            await pilot.press("right_square_bracket")  # one virtual day each
        assert screen.now == 3.0
        await pilot.press("x")  # send cancelOrder now
        await settle(pilot)
        assert (screen.scenario, screen.action_day) == ("cancel", 3.0)
        assert screen.now == 3.0  # playback continues from the moment of the action
        await pilot.press("e")
        await pilot.pause()
        assert "no running actor" in why(screen, "dag").why
        replay = why(screen, "replay").outcome_text().plain
        assert "refunded $42.00" in replay and "never refunded" not in replay
        assert "never refunded" in why(screen, "dag").outcome_text().plain
        assert app.latest_runs is screen.runs  # the history inspector will read these


async def test_playback_moves_every_picture_on_one_clock():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot)
        assert screen.now == 0.0 and screen.end == 30.0
        days = []
        for _ in range(3):
            await pilot.press("right")  # step to the next event
            days.append(screen.now)
        assert days == sorted(days) and days[-1] > 0
        assert why(screen, "dag").outcome_text().plain == "… running"  # not over yet: no outcome
        await pilot.press("e")
        await pilot.pause()
        assert screen.now == screen.end >= 30
        assert "shipped 1" in why(screen, "replay").outcome_text().plain
        assert picture(screen, "statemachine").execution_status == "SUCCEEDED"
        assert screen.query_one(DayAxis).now == screen.now
        await pilot.press("home", "space")
        assert screen.playing
        await pilot.press("f", "f")
        assert screen.speed == 10.0
        await pilot.press("space")
        assert not screen.playing and 0.0 <= screen.now <= screen.end


async def test_crash_the_worker_reruns_with_a_crash_at_that_moment():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.press("k")
        await settle(pilot)
        assert (screen.scenario, screen.action_day) == ("crash", 2.0)
        await pilot.press("e")
        await pilot.pause()
        assert "shipped 1" in why(screen, "replay").outcome_text().plain
        assert "a new worker replayed" in why(screen, "replay").why


async def test_the_scenario_picker_reaches_every_scenario_and_the_nightly_etl_counts_minutes():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot)
        picker = screen.query_one("#scenario-picker", Select)
        assert [str(o[0]) for o in picker._options] == screen.available  # every scenario, from the view itself
        picker.value = "declined"
        await settle(pilot)
        assert screen.scenario == "declined" and screen.runs["replay"].scenario == "declined"
        screen.query_one("#workload-picker", Select).value = "nightly-etl"
        await settle(pilot)
        assert (screen.workload, screen.scenario) == ("nightly-etl", "happy")
        assert screen.scale.unit == "minute" and screen.end < 1 / 24  # done in minutes, not a 30-day bar
        await pilot.press("right_square_bracket")
        assert screen.now == screen.scale.days  # one step is one minute
        await app.open_run("expense-approval", "happy")  # no "happy" there: its first scenario runs
        await settle(pilot)
        assert screen.workload == "expense-approval" and screen.scenario == screen.available[0]
        assert screen.query_one("#scenario-picker", Select).value == screen.scenario


async def test_a_tick_after_the_screen_lost_its_parts_draws_nothing():
    """Issue 20: quitting from the run view once raised NoMatches 'TimeAxis': the playback
    interval ticked while the screen's children were being removed."""
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot)
        await pilot.press("space")
        assert screen.playing
        await screen.query_one("#axis").remove()
        await screen.query_one("#columns").remove()
        screen._tick()  # raised NoMatches before the fix
        screen.action_to_end()
        await pilot.press("q")
    assert app.return_code in (0, None)
