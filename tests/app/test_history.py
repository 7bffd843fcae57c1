"""The history inspector shows the last run: replay history, the DAG grid, the state machine."""

from __future__ import annotations

from textual.widgets import Tree

from app.canvas_app import WorkflowCanvasApp
from app.screens.history import HistoryScreen

from .conftest import SIZE, settle, static_text



def _labels(tree: Tree) -> list[str]:
    return [str(node.label) for node in tree.root.children]


def _events(tree: Tree) -> list[dict]:
    """Every event under the tree, in order: a group's leaves, or a lone event's own node."""
    out = []
    for node in tree.root.children:
        if node.children:
            out += [child.data for child in node.children]
        elif isinstance(node.data, dict):
            out.append(node.data)
    return out


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

        history = screen.query_one("#replay-history", Tree)
        # every event exactly once (a group sits at its first event: the timer's cancel is under its start)
        assert sorted(e["id"] for e in _events(history)) == [e["id"] for e in runs["replay"].replay.history]
        labels = _labels(history)
        # Temporal's Web UI groups: an activity's three events are one row, the timer's start and cancel one
        assert any("Activity · ChargeCard · Completed (events 5–7)" in label for label in labels)
        assert any("Timer · 30d · Canceled" in label for label in labels)
        assert any("Signal · cancelOrder" in label for label in labels)
        assert len(labels) < len(runs["replay"].replay.history) / 2

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
        events = screen.query_one("#sm-events", Tree)
        assert len(_events(events)) == len(runs["statemachine"].statemachine.history)
        assert any("State · WaitForCancelOrder · Failed (caught)" in label for label in _labels(events))


async def test_the_detail_pane_shows_the_highlighted_events_attributes_and_payloads():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.open_run("order-1001", "happy")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        tree = app.screen.query_one("#replay-history", Tree)
        tree.focus()
        charge = next(n for n in tree.root.children if "ChargeCard" in str(n.label))
        tree.move_cursor(charge)
        await pilot.pause()
        detail = static_text(app.screen.query_one("#replay-detail"))
        # the whole group: each event, with the payloads Temporal's UI shows (input, result)
        assert "ActivityTaskScheduled" in detail and "ActivityTaskCompleted" in detail
        assert '"amount_cents": 4200' in detail and '"id": "charge-1"' in detail
        await pilot.press("enter")  # expands the group into its events
        await pilot.pause()
        assert charge.is_expanded and len(charge.children) == 3
        await pilot.press("down", "down")
        await pilot.pause()
        detail = static_text(app.screen.query_one("#replay-detail"))
        assert detail.startswith("#6 ActivityTaskStarted") and '"attempt": 1' in detail


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
        labels = _labels(app.screen.query_one("#replay-history", Tree))
        boundary = next(i for i, label in enumerate(labels) if "replayed above · live below" in label)
        assert 0 < boundary < len(labels) - 1


def test_a_timer_id_reused_after_its_timer_fired_is_a_new_group():
    """Temporal allows a timer id again once the timer with it has ended."""
    from app.widgets.event_groups import temporal_groups

    rows = [{"id": 1, "type": "TimerStarted", "attributes": {"timer_id": "1", "duration_seconds": 60}},
            {"id": 2, "type": "TimerFired", "attributes": {"timer_id": "1"}},
            {"id": 3, "type": "TimerStarted", "attributes": {"timer_id": "1", "duration_seconds": 60}}]
    assert [(g.status, [e["id"] for e in g.events]) for g in temporal_groups(rows)] == [("Fired", [1, 2]), ("Pending", [3])]
