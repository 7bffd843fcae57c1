"""Every scene's demo, at every knob setting, does what the scene claims.

Claims are checked against what the engines and services recorded: the runs' ledgers, the
replay histories and traces, not against the demo's own sentences.
"""

from __future__ import annotations

import itertools
import random

import pytest

from lessons.demos import MODULES, DemoResult, run_demo
from lessons.scenes import SCENE_NUMBERS, SceneError, get_scene
from workloads.order_1001.order import STEPS


def types(result: DemoResult) -> list[str]:
    return [row["type"] for row in result.history]


def activity_rows(result: DemoResult, event_type: str) -> list[str]:
    return [r["attributes"]["activity_type"] for r in result.history if r["type"] == event_type]


# --- the whole course ------------------------------------------------------------------------------
def test_every_scene_has_a_demo_and_runs_with_its_defaults():
    assert tuple(MODULES) == SCENE_NUMBERS
    for number in SCENE_NUMBERS:
        result = run_demo(number)
        assert result.scene == number and result.headline and result.lines
        assert result.knobs == get_scene(number).knob_values()


def test_knobs_are_checked_against_the_scene():
    with pytest.raises(SceneError, match="no knob 'crashes'"):
        run_demo("07", crashes=3)
    with pytest.raises(SceneError, match="outside 0..5"):
        run_demo("07", crashes_during_wait=6)
    assert run_demo("6.5", idempotency_key="on").knobs == {"idempotency_key": True, "crash_in_window": True}


@pytest.mark.parametrize("number", ["01", "03", "05", "07", "11"])
def test_demos_are_repeatable(number):
    first, second = run_demo(number), run_demo(number)
    assert (first.headline, first.lines, first.figures) == (second.headline, second.lines, second.figures)


# --- 01 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("crash", [True, False])
def test_01_a_cron_rerun_after_a_crash_charges_twice(crash):
    r = run_demo("01", crash_after_charge=crash)
    assert r.figures["statement_cents"] == (8400 if crash else 4200)
    assert r.figures["charges"] == (2 if crash else 1) and r.figures["cron_runs"] == (2 if crash else 1)
    assert r.figures["shipped"] == 1 and not r.runs


# --- 02 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("crash", [True, False])
def test_02_the_history_on_disk_survives_the_crash(crash):
    r = run_demo("02", crash=crash)
    run = r.runs["replay"]
    assert len(run.ledger.of("charge")) == 1 and run.outcome.shipped == 1
    assert types(r)[0] == "WorkflowExecutionStarted" and types(r)[-1] == "WorkflowExecutionCompleted"
    assert r.figures["state"]["done"] == list(STEPS)
    if crash:
        assert any(t.kind == "WorkerCrashed" for t in run.trace)
        assert r.figures["file_bytes_after_crash"] > 0
        assert r.figures["events_after_crash"] == 8
        assert r.figures["state_after_crash"]["done"] == ["ChargeCard"]
        assert [row["id"] for row in r.history[:8]] == list(range(1, 9))
    else:
        assert not any(t.kind == "WorkerCrashed" for t in run.trace)


# --- 03 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("inject", [True, False])
def test_03_replay_hands_back_the_charge_or_diverges(inject):
    state = random.getstate()
    r = run_demo("03", inject_random=inject)
    assert random.getstate() == state  # the demo's seeding does not leak
    run = r.runs["replay"]
    assert len(run.ledger.of("charge")) == 1 and r.figures["charge_calls"] == 1
    started = {row["attributes"]["scheduled_event_id"]: row["attributes"]["identity"]
               for row in r.history if row["type"] == "ActivityTaskStarted"}
    reserve = next(row["id"] for row in r.history if row["type"] == "ActivityTaskScheduled"
                   and row["attributes"]["activity_type"] == "ReserveInventory")
    assert started[reserve] == "s03-worker-2"  # the first unrecorded step ran for real, on the new worker
    errors = [t for t in run.trace if t.kind == "NondeterminismError"]
    if inject:
        assert errors and errors[0].data["event_id"] == 11 == r.figures["nondeterminism_event"]
        assert "ReserveInventory" in errors[0].data["recorded"] and "SendConfirmationEmail" in errors[0].data["asked"]
        assert "WorkflowTaskFailed" in types(r) and r.figures["workflow_status"] == "Running"
        assert r.figures["diverged_with_cache"] is False  # a sticky worker never re-runs the flip
    else:
        assert not errors and types(r)[-1] == "WorkflowExecutionCompleted" and r.figures["replayed_events"] > 0
        assert r.figures["diverged_with_cache"] is False
    # the scene's workers replay from the top on every task; with the sticky cache on, worker 2
    # replays only once, when it takes the run over (and never fewer events than that takeover)
    off, on = r.figures["replayed_events"], r.figures["replayed_events_cached"]
    assert 0 < on < off
    assert any("sticky execution" in line and f"{off} events" in line and f"{on} events" in line for line in r.lines)


# --- 04 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("part", get_scene("04").knob("classify_step").choices)
def test_04_blue_code_is_replayed_red_steps_run_once(part):
    r = run_demo("04", classify_step=part)
    run = r.runs["replay"]
    assert activity_rows(r, "ActivityTaskCompleted") == list(STEPS)
    assert all(run.ledger.counts("1001")[k] == 1 for k in ("reserved", "shipped", "emailed"))
    assert len(run.ledger.of("charge")) == 1
    if part == "none":
        assert r.figures["colours"] == {"workflow code": "blue", **{s: "red" for s in STEPS}}
        assert r.figures["step_runs"] == {s: 1 for s in STEPS} and r.figures["code_runs"] > 1
    elif part == "workflow code":
        assert r.figures["colour"] == "blue" and r.figures["runs"] > 1 and r.figures["result_events"] == 0
    else:
        assert r.figures["colour"] == "red" and r.figures["runs"] == 1 == r.figures["service_calls"]
        assert r.figures["commands"] == 1 == r.figures["result_events"]


# --- 05 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("live", [0, 1, 2, 3])
def test_05_with_no_worker_the_order_waits_and_nothing_is_lost(live):
    r = run_demo("05", live_workers=live)
    run = r.runs["replay"]
    assert run.outcome.shipped == 1 and len(run.ledger.of("charge")) == 1
    assert types(r)[-1] == "WorkflowExecutionCompleted" and r.figures["replayed_events"] > 0
    ship_day = (run.ledger.of("shipment")[0].at - run.ledger.of("charge")[0].at).days
    if live == 0:
        assert r.figures["tasks_waiting"] == 1 and r.figures["queue_wait_hours"] == 48 and ship_day == 32
    else:
        assert r.figures["tasks_waiting"] == 0 and r.figures["queue_wait_hours"] == 0 and ship_day == 30
        pulled = {row["attributes"]["identity"] for row in r.history if row["type"].endswith("TaskStarted")
                  and row["time"] >= "2026-01-30"}
        assert pulled <= {f"s05-worker-{i + 1}" for i in range(live)}


# --- 06 ------------------------------------------------------------------------------------------
def _attempts_against_backlog(k: dict, coefficient: float) -> tuple[int, list[float], bool]:
    """Temporal's retry formula (gap = min(initial × coefficient^(n-1), max), no jitter) against the
    overloaded API: backlog_s of work, +1 s for every call it refuses, draining in real time."""
    if k["card_declined"]:
        return 1, [], False
    recovers_at, t, gaps = float(k["backlog_s"]), 0.0, []
    for n in range(1, k["maximum_attempts"] + 1):
        if t >= recovers_at:
            return n, gaps, True
        recovers_at += 1.0
        if n == k["maximum_attempts"]:
            return n, gaps, False
        gap = min(k["initial_interval_s"] * coefficient ** (n - 1), k["maximum_interval_s"])
        gaps.append(gap)
        t += gap
    raise AssertionError("unreachable")


def _expected_06(k: dict) -> tuple[int, list[float], bool]:
    return _attempts_against_backlog(k, float(k["backoff_coefficient"]))


def _settings_06() -> list[dict]:
    scene = get_scene("06")
    base = scene.knob_values()
    out = []
    for knob in scene.knobs:  # every knob through its settings, the others at their defaults
        values = knob.choices if knob.kind == "choice" else [True, False] if knob.kind == "bool" else \
            sorted({knob.min, (knob.min + knob.max) // 2, knob.max})
        out += [{**base, knob.name: v} for v in values]
    for backlog in (0, 5, 10):  # backlog vs max attempts, both ways round
        for most in (1, 5, 10):
            out.append({**base, "backlog_s": backlog, "maximum_attempts": most})
    out.append({**base, "backlog_s": 10, "maximum_attempts": 10, "initial_interval_s": 10,
                "backoff_coefficient": "3.0", "maximum_interval_s": 60})
    return out


@pytest.mark.parametrize("knobs", _settings_06(), ids=lambda k: "-".join(f"{v}" for v in k.values()))
def test_06_retries_follow_the_policy(knobs):
    r = run_demo("06", **knobs)
    attempts, gaps, ok = _expected_06(knobs)
    run = r.runs["replay"]
    started = [t for t in run.trace if t.kind == "ActivityTaskStarted" and t.data["activity_type"] == "ChargeCard"]
    times = [(t.time - started[0].time).total_seconds() for t in started]
    assert len(started) == attempts == r.figures["attempts"]
    assert [b - a for a, b in itertools.pairwise(times)] == gaps == r.figures["gaps_s"]
    assert len(run.ledger.of("charge")) == (1 if ok else 0)
    failed = [row for row in r.history if row["type"] == "ActivityTaskFailed"]
    if ok:
        assert not failed and run.outcome.shipped == 1
    else:
        state = "NonRetryableFailure" if knobs["card_declined"] else "MaximumAttemptsReached"
        assert failed[0]["attributes"]["retry_state"] == state and types(r)[-1] == "WorkflowExecutionFailed"
    assert r.figures["payment_answers"] == ["ServiceUnavailable"] * (attempts - 1) + ["ok"] if ok else True
    # the same policy without backoff, played against the same backlog
    if knobs["card_declined"] or not knobs["backlog_s"] or knobs["backoff_coefficient"] == "1.0":
        assert r.figures["fixed_gap_attempts"] is None
    else:
        flat_attempts, _, flat_ok = _attempts_against_backlog(knobs, 1.0)
        assert (r.figures["fixed_gap_attempts"], r.figures["fixed_gap_succeeded"]) == (flat_attempts, flat_ok)
    # the cron contrast really reran the whole job every 5 minutes
    if knobs["card_declined"]:
        assert r.figures["cron_minutes_to_success"] is None and r.figures["cron_runs"] == 12
    else:  # 5 minutes is longer than any backlog here: the second run finds the API drained
        assert r.figures["cron_runs"] == (2 if knobs["backlog_s"] else 1) == r.figures["cron_payment_calls"]
        assert r.figures["cron_minutes_to_success"] == (5 if knobs["backlog_s"] else 0)


def test_06_backoff_visibly_wins_against_the_overloaded_api():
    """The scene's claim, read from the demo: with the defaults backoff succeeds where the same
    policy without backoff (a retry a second) fails, and the demo says both."""
    r = run_demo("06")
    assert r.figures["succeeded"] and r.figures["gaps_s"] == [1.0, 2.0, 4.0]
    assert r.figures["fixed_gap_succeeded"] is False and r.figures["fixed_gap_attempts"] == 5
    assert any("without backoff" in line and "gives up after 5 attempts" in line for line in r.lines)
    flat = run_demo("06", backoff_coefficient="1.0")
    assert not flat.figures["succeeded"] and flat.figures["retry_state"] == "MaximumAttemptsReached"
    text = get_scene("06").body
    assert "no jitter" in text and "Real engines also add" not in text
    assert any("no jitter" in line for line in r.lines)


# --- 06a -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [True, False])
@pytest.mark.parametrize("crash", [True, False])
def test_06a_the_key_closes_the_crash_window(key, crash):
    r = run_demo("06a", idempotency_key=key, crash_in_window=crash)
    run = r.runs["replay"]
    charges = run.ledger.of("charge", "1001")
    assert len(charges) == (2 if crash and not key else 1)
    assert run.ledger.statement_cents("1001") == (8400 if crash and not key else 4200) == r.figures["statement_cents"]
    assert all(c.idempotency_key == ("order-1001-charge" if key else None) for c in charges)
    assert any(t.kind == "WorkerCrashed" for t in run.trace) == crash
    assert r.figures["deduplicated"] == (1 if crash and key else 0)


# --- 07 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("crashes", [0, 2, 5])
@pytest.mark.parametrize("wait_with", ["thread_sleep", "durable_timer"])
def test_07_a_durable_timer_survives_crashes_a_sleep_does_not(crashes, wait_with):
    r = run_demo("07", crashes_during_wait=crashes, wait_with=wait_with)
    if wait_with == "thread_sleep":
        late = crashes  # each crash (one a day from day 1) restarts the 7-day countdown
        assert r.figures["email_day"] == 7 + late and r.figures["fired_on_time"] == (crashes == 0)
        assert r.figures["worker_seconds_held"] == (7 + late) * 86400 and not r.runs
    else:
        run = r.runs["replay"]
        rows = {row["type"]: row for row in r.history}
        started, fired = rows["TimerStarted"], rows["TimerFired"]
        assert started["time"].startswith("2026-01-01") and fired["time"].startswith("2026-01-08")
        assert fired["id"] == started["id"] + 1  # dormant: nothing happened in between
        assert sum(1 for t in run.trace if t.kind == "WorkerCrashed") == crashes
        email = [e for e in run.ledger.of("email") if "rate your Widget" in e.detail]
        assert len(email) == 1 and email[0].at.day == 8  # day 7 of the demo
        assert r.figures["worker_seconds_held"] == 0 and r.figures["tasks_queued_during_wait"] == 0


# --- 08 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["none", "cancelOrder", "getOrderStatus"])
def test_08_signal_diverts_query_appends_nothing(action):
    r = run_demo("08", action=action)
    run = r.runs["replay"]
    signalled = "WorkflowExecutionSignaled" in types(r)
    assert signalled == (action == "cancelOrder")
    if action == "cancelOrder":
        undo = [s for s in activity_rows(r, "ActivityTaskCompleted") if s in ("ReleaseInventory", "RefundCard")]
        assert undo == ["ReleaseInventory", "RefundCard"]
        assert run.outcome.refunded_cents == 4200 and run.outcome.released == 1 and run.outcome.shipped == 0
    else:
        assert run.outcome.shipped == 1 and run.outcome.refunded_cents == 0
    if action == "getOrderStatus":
        assert r.figures["history_before"] == r.figures["history_after"]
        assert r.figures["answer"]["step"].startswith("waiting for cancelOrder")


# --- 09 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("point, undo", [("none", []), ("ShipPackage", ["ReleaseInventory", "RefundCard"]),
                                         ("ReserveInventory", ["RefundCard"])])
def test_09_compensation_runs_in_reverse(point, undo):
    r = run_demo("09", failure_point=point)
    run = r.runs["replay"]
    done = activity_rows(r, "ActivityTaskCompleted")
    assert [s for s in done if s in ("ReleaseInventory", "RefundCard")] == undo
    assert activity_rows(r, "ActivityTaskFailed") == ([] if point == "none" else [point])
    assert "ChargeCard" in done and ("RefundCard" in done) == (point != "none")  # the history keeps both
    assert run.ledger.charged_cents("1001") == 4200
    assert run.ledger.refunded_cents("1001") == (0 if point == "none" else 4200)
    assert run.outcome.shipped == (1 if point == "none" else 0)


# --- 10 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fail_one", [True, False])
@pytest.mark.parametrize("can", [True, False])
def test_10_children_isolate_failure_continue_as_new_beats_the_limit(fail_one, can):
    r = run_demo("10", fail_one_child=fail_one, continue_as_new=can)
    split = r.runs["split"]
    assert r.figures["children"] == {"WH-East": "Completed", "WH-West": "Failed" if fail_one else "Completed"}
    assert [e.detail for e in split.ledger.of("shipment")] == (["from WH-East"] if fail_one else
                                                               ["from WH-East", "from WH-West"])
    assert ("ActivityTaskFailed" in types(r)) == fail_one  # WH-West's own small history
    lengths, limit = r.figures["ticker_history_lengths"], r.figures["limits"]["terminate"]
    if can:
        assert r.figures["ticker_status"] == "Completed" and len(lengths) > 1 and max(lengths) < limit
    else:
        assert r.figures["ticker_status"] == "Terminated" and lengths == [limit + 1]


# --- 11 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("gate", [True, False])
def test_11_the_version_gate_keeps_old_runs_on_the_old_path(gate):
    r = run_demo("11", version_gate=gate)
    old, new = r.runs["order-1001"], r.runs["order-1002"]
    assert len(old.ledger.of("charge")) == 1 and len(new.ledger.of("charge")) == 1
    assert "FraudCheck" in r.figures["order_1002_steps"] and "FraudCheck" not in activity_rows(r, "ActivityTaskScheduled")
    if gate:
        assert r.figures["order_1001_status"] == "Completed" and old.outcome.shipped == 1
        assert r.figures["order_1002_version_marker"]
    else:
        assert r.figures["order_1001_status"] == "Running" and "WorkflowTaskFailed" in types(r)
        errors = [t for t in old.trace if t.kind == "NondeterminismError"]
        assert errors[0].data["event_id"] == 11 and "FraudCheck" in errors[0].data["asked"]


# --- 12 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("card", get_scene("12").knob("card").choices)
def test_12_the_canvas_judges_each_engine_and_cites_scenes(card):
    from workloads.cards import get_card
    from workloads.choose import choose_model

    r = run_demo("12", card=card)
    recommended = choose_model(get_card(card)).model
    assert r.figures["recommended"] == recommended
    assert r.figures["verdicts"] == {e: e == recommended for e in ("replay", "dag", "statemachine")}
    assert r.figures["failed_requirements"][recommended] == []
    assert r.figures["citations"] and all(scene in SCENE_NUMBERS for scene in r.figures["citations"].values())
    for engine in r.figures["evidence_engines"]:  # evidence comes from really running the workload
        assert r.runs[engine].engine == engine and r.runs[engine].trace
    if card == "A":
        assert r.figures["citations"]["durable timer"] == "07" and r.figures["citations"]["signal"] == "08"
        assert r.runs["dag"].outcome.shipped == 0 and r.runs["replay"].outcome.shipped == 1
    if card == "B":
        assert recommended == "dag"
