"""ORDER #1001 as ASL: each scenario's outcome comes from the services' ledger."""

from engines.clock import day_of
from engines.trace import OutcomeStatus
from workloads.order_1001.observations import OrderObservations
from workloads.order_1001.statemachine import SCENARIOS, definition, run


def test_happy_ships_on_day_30_after_the_callback_wait_times_out():
    r = run("happy")
    o = r.outcome
    assert o.status == OutcomeStatus.COMPLETED and (o.charged_cents, o.shipped, o.emailed) == (4200, 1, 1)
    ship = next(e for e in r.trace if e.kind == "LambdaFunctionSucceeded" and e.subject == "ShipPackage")
    assert day_of(ship.time) == 30
    assert "TaskTimedOut" in [e.kind for e in r.trace]
    assert {s["name"] for s in r.statemachine.states} >= {"ChargeCard", "WaitForCancelOrder", "RefundCard"}


def test_cancel_compensates_release_then_refund():
    r = run("cancel", day=5)
    o = r.outcome
    assert o.status == OutcomeStatus.CANCELED
    assert (o.charged_cents, o.refunded_cents, o.released, o.shipped) == (4200, 4200, 1, 0)
    entered = [e.subject for e in r.trace if e.kind == "TaskStateEntered"]
    assert entered[-2:] == ["ReleaseInventory", "RefundCard"]
    assert day_of(r.trace[-1].time) == 5


def test_plain_stop_aborts_and_refunds_nothing():
    r = run("cancel", day=3, plain_stop=True)
    o = r.outcome
    assert o.status == OutcomeStatus.CANCELED and o.refunded_cents == 0 and o.released == 0
    assert r.trace[-1].kind == "ExecutionAborted"
    assert any("nothing was compensated" in p for p in o.problems)


def test_crash_resumes_from_the_checkpoint_and_ships_once():
    r = run("crash", day=10)
    kinds = [e.kind for e in r.trace]
    assert "InterpreterLost" in kinds and "InterpreterResumed" in kinds
    assert r.outcome.shipped == 1 and r.outcome.charged_cents == 4200
    assert kinds.count("ExecutionStarted") == 1


def test_sick_payment_retries_1_2_4_and_declined_fails_without_charge():
    r = run("sick-payment")
    assert [e.data["delay"] for e in r.trace if e.kind == "RetryScheduled"] == [1, 2, 4]
    assert r.outcome.charged_cents == 4200 and r.outcome.status == OutcomeStatus.COMPLETED
    d = run("declined")
    assert d.outcome.status == OutcomeStatus.FAILED and d.outcome.charged_cents == 0
    assert not any(e.kind == "RetryScheduled" for e in d.trace)


def test_deploy_v2_keeps_the_running_version():
    r = run("deploy-v2")
    assert r.statemachine.definition_version == 1
    assert "FraudCheck" not in [e.subject for e in r.trace if e.data.get("execution") == "order-1001"]
    order_1002 = r.observed_as(OrderObservations).order_1002
    assert order_1002 is not None and order_1002.version == 2 and "FraudCheck" in (order_1002.states or [])


def test_every_scenario_runs_and_the_definition_is_valid_asl(tmp_path):
    from engines.statemachine import validate
    assert validate(definition()) == []
    for s in SCENARIOS:
        assert run(s).outcome is not None
    assert run("happy", db=tmp_path / "o.db").outcome.shipped == 1
