"""ORDER #1001 on the replay engine: every scenario, read from the services' ledger."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH, day_of
from engines.trace import OutcomeStatus
from workloads.order_1001.observations import Order1002, OrderObservations
from workloads.order_1001.replay import SCENARIOS, run


def kinds(r, kind):
    return [e for e in r.trace if e.kind == kind]


def test_happy_ships_once_on_day_30():
    r = run("happy")
    o = r.outcome
    assert o.status == OutcomeStatus.COMPLETED
    assert (o.charged_cents, o.refunded_cents, o.reserved, o.shipped, o.emailed) == (4200, 0, 1, 1, 1)
    ship = [e for e in r.ledger.entries if e.kind == "shipment"][0]
    assert day_of(ship.at) == pytest.approx(30)
    assert o.slot_seconds == 0.0
    assert r.replay.history_length == o.events == len(r.replay.history)


def test_timer_fires_exactly_at_its_due_time():
    r = run("happy")
    started = kinds(r, "TimerStarted")[0]
    fired = kinds(r, "TimerFired")[0]
    assert fired.time - started.time == timedelta(days=30)
    assert started.data["attributes"]["fire_at"] == fired.time.isoformat()


@pytest.mark.parametrize("day", [0.5, 3, 29])
def test_cancel_compensates_in_reverse(day):
    r = run("cancel", day=day)
    o = r.outcome
    assert o.status == OutcomeStatus.CANCELED
    assert (o.charged_cents, o.refunded_cents, o.reserved, o.released, o.shipped, o.emailed) == (4200, 4200, 1, 1, 0, 0)
    order = [e.kind for e in r.ledger.entries]
    assert order == ["charge", "reservation", "release", "refund"]
    assert day_of(r.ledger.entries[-1].at) == pytest.approx(day)
    assert r.observed_as(OrderObservations).status_before_signal["step"].startswith("waiting")
    assert r.observed_as(OrderObservations).status_after_signal["step"] == "compensating"


def test_crash_during_the_wait_resumes_by_replay():
    r = run("crash", day=10)
    o = r.outcome
    assert o.status == OutcomeStatus.COMPLETED and (o.charged_cents, o.shipped, o.emailed) == (4200, 1, 1)
    assert r.observed_as(OrderObservations).live_workers_while_down == 0
    crash = kinds(r, "WorkerCrashed")[0]
    assert day_of(crash.time) == pytest.approx(10)
    assert r.replay.replayed_events > 0


def test_sick_payment_follows_the_policy_gaps():
    r = run("sick-payment")
    starts = [e for e in kinds(r, "ActivityTaskStarted") if e.data["activity_type"] == "ChargeCard"]
    assert [e.data["attempt"] for e in starts] == [1, 2, 3, 4]
    gaps = [(b.time - a.time).total_seconds() for a, b in zip(starts, starts[1:])]
    assert gaps == [1, 2, 4]
    assert r.outcome.charged_cents == 4200
    assert r.observed_as(OrderObservations).payment_calls == ["ServiceUnavailable"] * 3 + ["ok"]


def test_declined_card_fails_at_once_and_charges_nothing():
    r = run("declined")
    assert r.outcome.status == OutcomeStatus.FAILED
    assert r.outcome.charged_cents == 0 and r.outcome.shipped == 0
    assert r.observed_as(OrderObservations).payment_calls == ["CardDeclined"]
    assert "CardDeclined" in r.outcome.problems[0]


def test_failure_at_ship_compensates_release_then_refund():
    r = run("ship-fails")
    assert r.outcome.status == OutcomeStatus.FAILED
    assert [e.kind for e in r.ledger.entries] == ["charge", "reservation", "release", "refund"]


@pytest.mark.parametrize("keys,cents", [(True, 4200), (False, 8400)])
def test_crash_window_statement(keys, cents):
    r = run("crash-window", idempotency=keys)
    assert r.observed_as(OrderObservations).crashed is True
    assert r.observed_as(OrderObservations).statement_cents == cents
    charges = [e for e in r.ledger.entries if e.kind == "charge"]
    assert [c.idempotency_key for c in charges] == (["order-1001-charge"] if keys else [None, None])


def test_deploy_v2_without_gate_is_stuck_with_a_named_event():
    r = run("deploy-v2", gate=False)
    assert r.outcome.status == OutcomeStatus.RUNNING
    assert r.replay.workflow_status == "Running"
    text = " ".join(r.outcome.problems)
    assert "event 11" in text and "ReserveInventory" in text and "FraudCheck" in text
    assert r.outcome.shipped == 0 and r.outcome.charged_cents == 4200
    assert kinds(r, "NondeterminismError")


def test_deploy_v2_with_gate_old_run_keeps_v1_new_run_takes_v2():
    r = run("deploy-v2", gate=True)
    assert r.outcome.status == OutcomeStatus.COMPLETED and r.outcome.shipped == 1
    assert not any(h["type"] == "ActivityTaskScheduled" and h["attributes"]["activity_type"] == "FraudCheck"
                   for h in r.replay.history)
    assert r.observed_as(OrderObservations).order_1002 == Order1002(status="Completed", fraud_check=True)


def test_random_outside_ctx_makes_replay_diverge():
    r = run("nondeterministic")
    assert r.outcome.status == OutcomeStatus.RUNNING
    assert any("nondeterminism at event" in p for p in r.outcome.problems)


def test_no_worker_means_the_order_waits():
    r = run("no-worker", day=5)
    assert r.observed_as(OrderObservations).live_workers_while_down == 0
    assert r.outcome.status == OutcomeStatus.COMPLETED and r.outcome.shipped == 1


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_runs_on_a_file(tmp_path, scenario):
    r = run(scenario, db=tmp_path / "r.db")
    assert r.engine == "replay" and r.trace and r.trace[0].time >= EPOCH
    assert r.outcome.charged_cents in (0, 4200)


def test_history_rows_mark_what_the_new_worker_only_replayed():
    from workloads.order_1001.replay import run as run_order

    happy = run_order("happy").replay.history
    assert not any(row["replayed"] for row in happy)  # one worker recorded everything live
    crash = run_order("crash").replay.history
    takeover = next(row for row in crash if not row["replayed"])
    assert takeover["type"] == "WorkflowTaskStarted"
    inherited = [row for row in crash if row["replayed"]]
    assert inherited and all(row["id"] < takeover["id"] for row in inherited)
    assert inherited[-1]["time"] >= "2026-01-11"  # the old worker died on day 10; its history was replayed
    assert any(row["type"] == "ActivityTaskCompleted" and row["attributes"]["activity_type"] == "ChargeCard"
               for row in inherited)
