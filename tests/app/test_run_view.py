"""The run view's pictures at the moments the course shows, read from the widgets' own state,
each then kept as an SVG snapshot at 120x40 and 80x24 (issue 11).

Regenerate after an intended change of the look:
    .venv/bin/python -m pytest tests/app/test_run_view.py --snapshot-update
"""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

import pytest

from app.canvas_app import WorkflowCanvasApp
from app.screens.run import RunScreen
from app.widgets.run.code_view import ReplayPhase
from app.widgets.run.state_graph import StateStatus

from .conftest import settle

SIZES = {"120x40": (120, 40), "80x24": (80, 24)}


@pytest.fixture
def fixed_worker_identity(monkeypatch):
    """A replay worker names itself pid@host-random; fix it so pictures are the same each run."""
    from engines.replay import worker

    monkeypatch.setattr(worker, "os", SimpleNamespace(getpid=lambda: 1001, _exit=os._exit, environ=os.environ))
    monkeypatch.setattr(worker, "HOST", "classroom")
    monkeypatch.setattr(worker, "uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(int=0xC0FFEE)))


def pictures(screen: RunScreen):
    """The three pictures' records at the screen's moment."""
    return tuple(screen.query_one(f"#col-{e}").picture.view for e in ("replay", "dag", "statemachine"))


def why_of(screen: RunScreen, engine: str):
    from app.widgets.run.why_line import WhyLine

    return screen.query_one(f"#col-{engine}").query_one(WhyLine)


async def open_at(pilot, scenario: str, day: float | None, days_forward: int = 0) -> RunScreen:
    await settle(pilot)
    await pilot.app.open_run("order-1001", scenario, day)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen) and screen.runs is not None
    for _ in range(days_forward):
        await pilot.press("right_square_bracket")  # one virtual day, as a user steps
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()
    return screen


def assert_happy_day_5(screen: RunScreen) -> None:
    assert screen.now == 5.0
    replay, dag, sm = pictures(screen)
    assert replay.phase == ReplayPhase.WAITING_ON_TIMER and not replay.holds_worker
    assert "wait_condition" in replay.cursor_text and replay.timer_left_days == pytest.approx(25, abs=0.01)
    assert replay.finished == ("ChargeCard", "ReserveInventory")
    sensor = dag.cell("wait_30_days")
    assert (sensor.state, sensor.mode) == ("running", "poke")
    assert sensor.slot_days == pytest.approx(5, abs=0.01) and sensor.pokes >= 7000  # one a minute, slot held
    assert dag.states["ship"] == dag.states["email"] == "none"
    assert sm.current == ("WaitForCancelOrder",) and sm.execution_status == "RUNNING"
    assert sm.status("ShipPackage") == StateStatus.NOT_STARTED


def assert_happy_day_7(screen: RunScreen) -> None:
    assert screen.now == 7.0
    replay, dag, sm = pictures(screen)
    assert replay.phase == ReplayPhase.WAITING_ON_TIMER and replay.timer_left_days == pytest.approx(23, abs=0.01)
    sensor = dag.cell("wait_30_days")
    assert (sensor.state, sensor.error) == ("failed", "AirflowSensorTimeout")
    assert dag.states["ship"] == dag.states["email"] == "upstream_failed"
    assert sm.current == ("WaitForCancelOrder",)


def assert_cancel_day_3(screen: RunScreen) -> None:
    assert (screen.scenario, screen.action_day, screen.now) == ("cancel", 3.0, 3.0)
    replay, dag, sm = pictures(screen)
    assert replay.signals == (("cancelOrder", 3.0),)
    assert replay.compensated == ("ReleaseInventory", "RefundCard") and "compensate()" in replay.cursor_text
    assert sm.status("RefundCard") == sm.status("ReleaseInventory") == StateStatus.SUCCEEDED
    catch = sm.catches[0]
    assert (catch.source, catch.error, catch.target) == ("WaitForCancelOrder", "OrderCancelled", "ReleaseInventory")
    assert sm.status("WaitForCancelOrder") == StateStatus.CAUGHT_ERROR and sm.execution_status == "SUCCEEDED"
    cancel = dag.cancel
    assert cancel is not None and not cancel.delivered and cancel.marked_failed
    assert cancel.words == "no running actor to receive it"
    assert (cancel.charged_cents, cancel.refunded_cents) == (4200, 0)  # the $42 left unrefunded
    assert dag.run_state == "failed"
    assert "no running actor" in why_of(screen, "dag").why
    assert why_of(screen, "replay").outcome_text().plain.startswith("✓ Completed")
    assert why_of(screen, "dag").outcome_text().plain.startswith("✗ failed")
    assert why_of(screen, "statemachine").outcome_text().plain.startswith("✓ SUCCEEDED")


MOMENTS = {
    "happy-day-5": ("happy", None, 5, assert_happy_day_5),
    "happy-day-7": ("happy", None, 7, assert_happy_day_7),
    "cancel-day-3": ("cancel", 3.0, 0, assert_cancel_day_3),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_pictures_at_the_moments_the_course_shows(snap_compare, fixed_worker_identity, moment, size):
    scenario, day, forward, check = MOMENTS[moment]

    async def run_before(pilot) -> None:
        screen = await open_at(pilot, scenario, day, forward)
        check(screen)  # what each picture shows, from its own record, at 120x40 and at 80x24 alike
        if SIZES[size] == (80, 24):  # the compact layout keeps the three pictures and the why lines
            assert screen.has_class("-compact")
            for engine in ("replay", "dag", "statemachine"):
                column = screen.query_one(f"#col-{engine}")
                for part in (column.picture, why_of(screen, engine)):
                    assert part.region.height >= 2 and part.region.bottom <= 23, (engine, part, part.region)

    assert snap_compare(WorkflowCanvasApp(), terminal_size=SIZES[size], run_before=run_before)
