"""The nightly ETL and ORDER #1001 as DAGs, judged by what the services and tables saw."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH, day_of
from engines.trace import OutcomeStatus
from workloads.nightly_etl import dag as etl
from workloads.order_1001 import dag as order


def grid_of(run, task_id):
    return [r for r in run.dag.grid if r["task_id"] == task_id]


def test_nightly_etl_succeeds_and_fills_the_warehouse():
    run = etl.run("happy")
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert run.observed.warehouse == [{"day": "2026-01-01", "orders": 3, "revenue_cents": 6849}]
    assert run.outcome.slot_seconds == 600  # 2 + 5 + 3 minutes of work
    kinds = {e.kind for e in run.trace}
    assert {"DagRun created", "TaskInstance queued", "TaskInstance running", "TaskInstance success", "DagRun success"} <= kinds


def test_nightly_etl_retries_a_transient_failure_in_transform():
    run = etl.run("flaky-transform")
    assert run.outcome.status is OutcomeStatus.COMPLETED
    assert [(r["try_number"], r["state"]) for r in grid_of(run, "transform")] == [
        (1, "up_for_retry"), (2, "success")]
    assert run.observed.warehouse[0]["revenue_cents"] == 6849


def test_nightly_etl_bad_data_fails_visibly_and_leaves_the_warehouse_alone():
    run = etl.run("bad-data")
    assert run.outcome.status is OutcomeStatus.FAILED
    assert [r["state"] for r in grid_of(run, "transform")] == ["up_for_retry"] * 3 + ["failed"]
    assert grid_of(run, "load")[0]["state"] == "upstream_failed"
    assert run.observed.warehouse == []
    assert any("42,00 EUR" in e.detail for e in run.trace)


def test_order_fails_on_day_7_with_the_default_sensor_timeout():
    run = order.run("happy")
    o = run.outcome
    assert o.status is OutcomeStatus.TIMED_OUT
    assert (o.charged_cents, o.refunded_cents, o.shipped, o.emailed) == (4200, 0, 0, 0)
    wait = grid_of(run, "wait_30_days")[0]
    assert wait["state"] == "failed" and wait["try_number"] == 1  # retries=3, yet not retried
    assert 7 <= day_of(wait["end"]) < 7.01
    assert [grid_of(run, t)[0]["state"] for t in ("ship", "email")] == ["upstream_failed"] * 2
    text = " ".join(o.problems)
    assert "timed out on day 7" in text and "$42.00" in text and "nothing was refunded" in text


def test_order_with_a_30_day_timeout_ships_on_day_30_after_holding_a_slot_all_month():
    run = order.run("happy", sensor_timeout=timedelta(days=30))
    o = run.outcome
    assert o.status is OutcomeStatus.COMPLETED and (o.charged_cents, o.shipped, o.emailed) == (4200, 1, 1)
    ship = grid_of(run, "ship")[0]
    assert 30 <= day_of(ship["start"]) < 30.01
    assert run.dag.slot_seconds_by_task["wait_30_days"] == pytest.approx(2_592_000, abs=120)
    assert run.dag.pokes == pytest.approx(43_200, abs=2)


def test_order_in_reschedule_mode_frees_the_slot_between_pokes():
    run = order.run("happy", sensor_timeout=timedelta(days=30), mode="reschedule")
    assert run.outcome.shipped == 1
    assert run.dag.slot_seconds_by_task["wait_30_days"] == 0
    assert run.dag.reschedules == pytest.approx(43_200, abs=2)


def test_cancel_on_day_3_has_nothing_to_deliver_to():
    run = order.run("cancel", day=3)
    o = run.outcome
    assert (o.charged_cents, o.refunded_cents, o.shipped) == (4200, 0, 0)
    assert run.dag.run_state == "failed"
    assert any("no running actor to receive it" in p for p in o.problems)
    marked = [e for e in run.trace if e.kind == "DagRun marked failed"]
    assert len(marked) == 1 and marked[0].time == EPOCH + timedelta(days=3)
    assert {r["task_id"]: r["state"] for r in run.dag.grid}["ship"] == "skipped"


def test_crash_on_day_10_says_the_run_had_already_failed_on_day_7():
    run = order.run("crash")
    assert any("no worker was running" in p and "day 7" in p for p in run.outcome.problems)
    assert run.outcome.shipped == 0


def test_crash_mid_wait_retries_the_sensor_from_scratch():
    run = order.run("crash", day=10, sensor_timeout=timedelta(days=30))
    tries = grid_of(run, "wait_30_days")
    assert [(t["try_number"], t["state"]) for t in tries] == [(1, "up_for_retry"), (2, "success")]
    assert run.outcome.shipped == 1 and run.outcome.charged_cents == 4200
    assert any(e.kind == "Worker killed" for e in run.trace)


def test_sick_payment_is_retried_and_a_declined_card_is_not():
    sick = order.run("sick-payment")
    assert [r["state"] for r in grid_of(sick, "charge")] == ["up_for_retry"] * 3 + ["success"]
    assert sick.outcome.charged_cents == 4200
    declined = order.run("declined")
    assert [r["state"] for r in grid_of(declined, "charge")] == ["failed"]
    assert declined.outcome.charged_cents == 0 and declined.outcome.status is OutcomeStatus.FAILED
    assert grid_of(declined, "reserve")[0]["state"] == "upstream_failed"


def test_deploy_v2_adds_fraud_check_to_the_waiting_run():
    run = order.run("deploy-v2", day=3)
    check = grid_of(run, "fraud_check")[0]
    assert check["state"] == "success" and 3 <= day_of(check["start"]) < 3.01
    assert run.dag.dag_version == 2
    assert any(e.kind == "DagRun verify_integrity" for e in run.trace)


def test_unknown_scenario_is_refused():
    from engines.errors import WorkflowCanvasError

    with pytest.raises(WorkflowCanvasError, match="scenario"):
        order.run("teleport")
    with pytest.raises(WorkflowCanvasError, match="scenario"):
        etl.run("teleport")


def test_an_order_run_survives_in_a_database_file(tmp_path):
    db = tmp_path / "order.db"
    order.run("happy", db=db)
    from engines.dag.metadata import MetadataDB

    meta = MetadataDB(db)
    assert [r["state"] for r in meta.runs()] == ["failed"]
    meta.close()
