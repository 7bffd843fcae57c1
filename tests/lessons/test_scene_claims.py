"""The scene sentences that a Temporal, Airflow or AWS engineer corrected, each checked against
what the scene's demo really does (its figures and lines come from the engines and the store)."""

from __future__ import annotations

import re

from engines.replay import EventType
from lessons.demos import run_demo
from lessons.scenes import get_scene


def body(number: str) -> str:
    """The scene's text with its line breaks folded, so a phrase can be searched across lines."""
    return re.sub(r"\s+", " ", get_scene(number).body)


def test_01_and_02_say_what_wal_with_synchronous_normal_survives():
    r = run_demo("02", crash=True)
    assert r.figures["journal_mode"] == "wal" and r.figures["synchronous"] == "NORMAL"
    two = body("02")
    assert "WAL mode with `synchronous=NORMAL`" in two and "a power cut can lose the last few commits" in two
    assert "`synchronous=FULL`" in two and "one durable write per event" not in two
    assert "survives a killed process" in two and r.figures["events_after_crash"] >= 7  # the killed worker lost nothing
    one = body("01")
    assert "a crash, a killed process or a redeploy" in one and "power cut" in one
    assert "survives a crash, a reboot" not in one


def test_02_cites_the_event_number_the_demo_shows():
    r = run_demo("02", crash=True)
    event = r.figures["charge_completed_event"]
    assert event == 7
    assert f"event #{event} still says the card was charged" in body("02")
    assert f"#{event} `ActivityTaskCompleted` — ChargeCard" in body("02")
    assert any(line.strip().startswith(f"#{event} ") and "ActivityTaskCompleted ChargeCard" in line for line in r.lines)
    assert "event 3 still says" not in body("02")


def test_03_time_and_random_add_no_event_and_replay_still_agrees():
    r = run_demo("03", inject_random=True)
    ctx = r.figures["ctx_random"]
    assert ctx["diverged"] is False and ctx["recorded_draws"] == []
    standard = {t.value for t in (EventType.WORKFLOW_EXECUTION_STARTED, EventType.WORKFLOW_EXECUTION_COMPLETED,
                                  EventType.WORKFLOW_TASK_SCHEDULED, EventType.WORKFLOW_TASK_STARTED,
                                  EventType.WORKFLOW_TASK_COMPLETED, EventType.ACTIVITY_TASK_SCHEDULED,
                                  EventType.ACTIVITY_TASK_STARTED, EventType.ACTIVITY_TASK_COMPLETED)}
    assert set(ctx["event_types"]) <= standard  # no marker, no side-effect event for the draw
    assert r.figures["nondeterminism_event"]  # while random read outside the engine diverged
    text = body("03")
    assert "recorded in the history like any step" not in text
    assert "Time and random add no event" in text and "seeded once per run" in text


def test_04_an_activity_is_never_replayed_but_runs_at_least_once():
    r = run_demo("04")
    assert set(r.figures["step_runs"].values()) == {1} and r.figures["replayed_events"] > 0
    assert "runs once" not in get_scene("04").summary
    text = body("04")
    assert "replay never runs it again" in text and "at least once, not exactly once" in text


def test_05_the_waiting_task_is_the_workflow_task_and_idle_workers_sleep_50_ms():
    r = run_demo("05", live_workers=0)
    assert r.figures["waiting_kinds"] == ["a workflow task"]
    assert r.figures["first_pulled_after_deploy"] == "the workflow task (replay)"
    assert r.figures["poll_interval_ms"] == 50
    text = body("05")
    assert "sleeps 50 ms and asks again" in text and "A Temporal worker asks the queue for work with a **long-poll**" in text
    assert "The queue holds the ShipPackage task" not in text
    assert "the queue holds the order's workflow task" in text
    assert "ShipPackage waits" not in get_scene("05").knob("live_workers").help


def test_08_this_engine_answers_a_query_with_no_worker():
    r = run_demo("08", action="getOrderStatus")
    assert r.figures["live_workers_at_query"] == 0 and r.figures["answer"]
    assert r.figures["history_before"] == r.figures["history_after"]
    text = body("08")
    assert "Queries need a worker to replay the state" not in text
    assert "answered with no worker running" in text and "In Temporal a query is answered by a worker" in text


def test_10_temporal_suggests_continue_as_new_at_4096_events():
    r = run_demo("10", fail_one_child=False, continue_as_new=True)
    warn, terminate = r.figures["limits"]["warn"], r.figures["limits"]["terminate"]
    # the demo's limits are small (warn 100), so the suggestion comes at the warning; by default at 4,096
    assert all(warn <= n < terminate for n in r.figures["ticker_history_lengths"])
    assert any("4,096 events" in line for line in r.lines)
    from engines.replay.limits import HistoryLimits

    assert HistoryLimits().suggest_at == 4_096 and HistoryLimits(warn=100, terminate=200).suggest_at == 100
    text = body("10")
    assert "at 4,096 events or 4 MiB" in text and "10,240 events" in text and "51,200" in text


def test_12_the_dag_sentences_are_qualified_by_sensor_mode_and_the_grades_are_taught():
    a = run_demo("12", card="A")
    assert a.figures["grades"]["statemachine"]["long_wait"] == "serves"
    assert a.figures["grades"]["statemachine"]["signals"] == "limited"
    assert a.figures["grades"]["dag"]["signals"] == "cannot" and a.figures["grades"]["dag"]["long_wait"] == "cannot"
    assert a.runs["dag"].outcome.refunded_cents == 0 and a.runs["replay"].outcome.shipped == 1
    c = run_demo("12", card="C")
    assert c.figures["recommended"] == "statemachine" and c.figures["grades"]["statemachine"]["signals"] == "limited"
    text = body("12")
    assert "A DAG cannot wait or listen" not in text and "holds a worker slot for a month" not in text
    assert "reschedule or deferrable mode" in text and "7-day default timeout" in text
    assert "✓ serves" in text and "◒ limited" in text and "✗ cannot" in text
    assert "**none**" in text and "4,096" not in text  # scene 10 owns that number
