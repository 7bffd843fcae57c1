"""The side-by-side run: ORDER #1001 on three engines, played by virtual time; cancel on day 3."""

from __future__ import annotations

from app.canvas_app import WorkflowCanvasApp
from app.screens.run import RunScreen

from .conftest import SIZE, settle, static_text



def column_text(screen, engine: str) -> str:
    column = screen.query_one(f"#col-{engine}")
    return "\n".join(static_text(w) for w in column.query("Static"))


async def open_run(pilot) -> RunScreen:
    await settle(pilot)
    await pilot.app.open_run("order-1001", "happy")
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
        dag = column_text(screen, "dag")
        replay = column_text(screen, "replay")
        assert "no running actor" in dag
        assert "refunded $42.00" in replay and "never refunded" not in replay
        assert "never refunded" in dag
        assert app.latest_runs is screen.runs  # the history inspector will read these


async def test_playback_shows_events_as_they_happen():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot)
        assert screen.now == 0.0
        counts = []
        for _ in range(4):
            await pilot.press("right")  # step to the next event
            counts.append(screen.query_one("#col-replay")._shown + screen.query_one("#col-dag")._shown)
        assert counts == sorted(counts) and counts[-1] > counts[0]
        assert "running…" in column_text(screen, "dag")  # not over yet: no outcome
        await pilot.press("e")
        await pilot.pause()
        assert screen.now == screen.end >= 30
        replay = column_text(screen, "replay")
        assert "shipped 1" in replay
        dag = column_text(screen, "dag")
        assert "7" in dag and "■" in dag  # the outcome is shown once the run is over
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
        if "crash" not in screen.available:
            return
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.press("k")
        await settle(pilot)
        assert (screen.scenario, screen.action_day) == ("crash", 2.0)
        await pilot.press("e")
        await pilot.pause()
        assert "shipped 1" in column_text(screen, "replay")
