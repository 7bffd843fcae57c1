"""Workload D, the subscription, on all three engines: the payment service's ledger decides.

One charge a month for three years, none after the cancel, the declined renewal charged once
after the new card, the new price from month 20; the replay history kept bounded by
continue-as-new, the state machine handing over to a new execution before its limits. The run
figures are read back from each engine's own database file.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.replay import Client, EventType, HistoryLimits, Server
from engines.statemachine import Engine, HistoryEventType
from engines.statemachine.quotas import MAX_HISTORY_EVENTS
from engines.statemachine.timestamps import parse_iso
from engines.store import open_store
from engines.trace import OutcomeStatus
from workloads.options import RunOptions
from workloads.runs import WorkloadName
from workloads.subscription import billing as b
from workloads.subscription import dag, replay, statemachine
from workloads.subscription.billing import BillingError
from workloads.subscription.observations import SubscriptionObservations

MODULES = {"replay": replay, "dag": dag, "statemachine": statemachine}
ENGINES = tuple(MODULES)


def play(engine: str, scenario: str):
    """Through the engine version's WORKLOAD, as the runner calls it."""
    return MODULES[engine].WORKLOAD.run(scenario, RunOptions())


def charges(run):
    return run.ledger.of("charge", b.SUB_ID)


def test_every_engine_declares_the_four_scenarios():
    for m in MODULES.values():
        assert m.WORKLOAD.name is WorkloadName.SUBSCRIPTION
        assert m.WORKLOAD.scenarios == ("happy", "cancel", "declined", "price-change")


@pytest.mark.parametrize("engine", ENGINES)
def test_happy_charges_once_a_month_for_three_years(engine):
    run = play(engine, "happy")
    entries = charges(run)
    assert [b.period_of(e.at) for e in entries] == list(range(1, 37))
    for k, e in enumerate(entries, start=1):  # each on its renewal day, at the plan's price
        assert b.renewal_at(k) <= e.at < b.renewal_at(k) + timedelta(hours=1)
        assert e.amount_cents == b.PRICE_CENTS
    assert len({e.idempotency_key for e in entries}) == 36
    assert run.outcome.charged_cents == 36 * b.PRICE_CENTS
    assert run.outcome.emailed == 36 and run.observed_as(SubscriptionObservations).receipts == 36
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert run.observed_as(SubscriptionObservations).final_status == "ended"


@pytest.mark.parametrize("engine", ENGINES)
def test_cancel_in_month_14_stops_every_later_charge(engine):
    run = play(engine, "cancel")
    canceled_at = b.month_day(b.CANCEL_MONTH, b.CANCEL_DAY)
    entries = charges(run)
    # the rule: the cancel on day 10 of month 14 comes before renewal 14, so 13 renewals are charged
    assert [b.period_of(e.at) for e in entries] == list(range(1, 14))
    assert all(e.at < canceled_at for e in entries)
    assert run.outcome.status is OutcomeStatus.CANCELED
    seen = run.observed_as(SubscriptionObservations)
    assert seen.canceled_month == 14 and seen.final_status == "canceled"
    if engine == "dag":  # the cancel is "pause the DAG": no DAG run after it
        assert run.outcome.result["is_paused"] is True
        assert len(seen.runs) == 13 and all(r.started is not None and r.started < canceled_at for r in seen.runs)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_declined_card_is_charged_once_after_the_update(engine):
    run = play(engine, "declined")
    updated_at = b.renewal_at(b.DECLINED_PERIOD) + b.UPDATE_AFTER
    seen = run.observed_as(SubscriptionObservations)
    assert seen.declined_periods == (b.DECLINED_PERIOD,)
    assert seen.charge_count_by_period == {k: 1 for k in range(1, 37)}
    fifth = [e for e in charges(run) if b.period_of(e.at) == b.DECLINED_PERIOD]
    assert len(fifth) == 1 and fifth[0].at >= updated_at
    assert fifth[0].idempotency_key.endswith(b.NEW_CARD["card_id"])
    assert all(e.idempotency_key.endswith(b.NEW_CARD["card_id"]) for e in charges(run) if e.at > updated_at)
    dunning = [e for e in run.ledger.of("email", b.SUB_ID) if "declined" in e.detail]
    assert len(dunning) == 1
    assert run.outcome.status is OutcomeStatus.COMPLETED


@pytest.mark.parametrize("engine", ENGINES)
def test_the_new_price_applies_from_month_20_on(engine):
    run = play(engine, "price-change")
    by_period = run.observed_as(SubscriptionObservations).charges_by_period
    assert by_period == {k: (b.PRICE_CENTS if k < 20 else b.NEW_PRICE_CENTS) for k in range(1, 37)}
    assert run.outcome.charged_cents == 19 * b.PRICE_CENTS + 17 * b.NEW_PRICE_CENTS


def test_the_replay_history_stays_bounded_by_continue_as_new(tmp_path):
    db = tmp_path / "replay.db"
    replay.run("happy", db=db)
    client = Client(Server(open_store(db), VirtualClock()))
    runs = client.runs(b.WORKFLOW_ID)
    lengths = [len(client.history(b.WORKFLOW_ID, r.run_id)) for r in runs]
    assert [r.status for r in runs] == ["ContinuedAsNew", "ContinuedAsNew", "Completed"]
    assert all(n == r.history_length for n, r in zip(lengths, runs))
    # each run holds one year of renewals, nowhere near the limits, and the next starts fresh from the state
    assert max(lengths) < 250 < HistoryLimits().suggest_at
    for older, newer in zip(runs, runs[1:]):
        ended = client.history(b.WORKFLOW_ID, older.run_id)[-1]
        started = client.history(b.WORKFLOW_ID, newer.run_id)[0]
        assert ended.event_type == EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        assert started.attributes["continued_from_run_id"] == older.run_id
        assert started.attributes["input"][0]["period"] % replay.PERIODS_PER_RUN == 0


def test_with_a_small_limit_continue_as_new_comes_when_the_server_suggests_it():
    limits = HistoryLimits(warn=100, terminate=200)
    run = replay.run("happy", limits=limits, periods_per_run=1_000)
    seen = run.observed_as(SubscriptionObservations)
    assert len(seen.runs) >= 6 and all(r.history_length < limits.terminate for r in seen.runs)
    assert sum(len(r.periods) for r in seen.runs) == 36  # every renewal charged once, across the runs
    assert run.outcome.charged_cents == 36 * b.PRICE_CENTS


def test_the_state_machine_starts_a_successor_before_its_limits(tmp_path):
    db = tmp_path / "sfn.db"
    statemachine.run("happy", db=db)
    engine = Engine(open_store(db), VirtualClock())
    executions = engine.list_executions()
    assert len(executions) == 4
    for ex, successor in zip(executions, executions[1:] + [None]):
        d = engine.describe_execution(ex["executionArn"])
        history = engine.get_execution_history(ex["executionArn"])
        assert d["status"] == "SUCCEEDED" and len(history) < MAX_HISTORY_EVENTS
        start, stop = parse_iso(d["startDate"]), parse_iso(d["stopDate"])
        assert stop - start < statemachine.MAX_DURATION
        started = [e for e in history if e.type == HistoryEventType.TASK_SUCCEEDED and e.state == "StartSuccessor"]
        if successor is None:
            assert not started and d["output"]["period"] == 37
        else:
            assert started[0].details["output"]["ExecutionArn"] == successor["executionArn"]
            nxt = engine.describe_execution(successor["executionArn"])["input"]
            assert nxt["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == ex["executionArn"]


def test_without_the_hand_over_the_one_year_maximum_ends_the_renewals():
    run = statemachine.run("happy", renewals_per_execution=13)
    assert run.outcome.status is OutcomeStatus.TIMED_OUT
    assert run.statemachine.execution_status == "TIMED_OUT"
    assert [b.period_of(e.at) for e in charges(run)] == list(range(1, 12))  # renewals 12-36 never charged


def test_an_unknown_scenario_is_one_line_naming_the_choices():
    with pytest.raises(BillingError, match=r"unknown scenario 'monthly' for subscription-renewal on dag; choose one of"):
        dag.run("monthly")


@pytest.mark.parametrize("day", [40.5, 700.25])
def test_a_cancel_on_any_day_stops_the_renewals_due_after_it_on_every_engine(day):
    canceled_at = EPOCH + timedelta(days=day)
    due_before = [k for k in range(1, 37) if b.renewal_at(k) < canceled_at]
    for engine, m in MODULES.items():
        run = m.WORKLOAD.run("cancel", RunOptions(day=day))
        assert [b.period_of(e.at) for e in charges(run)] == due_before, engine
        assert run.outcome.status is OutcomeStatus.CANCELED, engine


def test_a_cancel_after_the_term_changes_nothing_and_says_so():
    for engine, m in MODULES.items():
        run = m.WORKLOAD.run("cancel", RunOptions(day=2000))
        assert len(charges(run)) == 36, engine
        assert any("after the term's last renewal" in p for p in run.outcome.problems), engine
