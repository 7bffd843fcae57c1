"""Sensor timing and deferrable sensors (issue 15).

Sources: airflow/sdk/bases/sensor.py (`run_duration() > self.timeout` after a false poke, on a
wall clock), airflow/providers/standard/sensors/time_delta.py (deferrable=True defers to a
DateTimeTrigger with the sensor's timeout), airflow/sdk/bases/sensor.py resume_execution
(TaskDeferralTimeout becomes AirflowSensorTimeout), [sensors] default_timeout = 7 days.
"""

from datetime import timedelta

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.dag import DAG, DagError, EmptyOperator, PythonSensor, Scheduler, TimeDeltaSensor
from workloads.order_1001 import dag as order


def test_order_1001s_default_sensor_times_out_at_poke_10081():
    result = order.run("happy")
    assert result.dag.pokes == 10_081  # 7 days of 60 s pokes: the poke due at 604,800 s times out


def wait_days(mode, deferrable, timeout=None, days=30):
    with DAG(f"wait_{mode}_{deferrable}") as dag:
        w = TimeDeltaSensor(task_id="wait", delta=timedelta(days=days), mode=mode, deferrable=deferrable,
                            timeout=timeout)
        w >> EmptyOperator(task_id="ship")
    s = Scheduler([dag], clock=VirtualClock(EPOCH))
    run = s.test(dag.dag_id)
    return s, run


@pytest.mark.parametrize("mode, deferrable", [("poke", False), ("reschedule", False), ("poke", True)])
def test_the_7_day_default_timeout_applies_to_every_way_of_waiting(mode, deferrable):
    s, run = wait_days(mode, deferrable)
    ti = run.tis["wait"]
    assert (run.state, ti.state, ti.try_number) == ("failed", "failed", 1)
    assert ti.end_date == EPOCH + timedelta(days=7)
    assert any(e.data.get("error") == "AirflowSensorTimeout" for e in s.trace)


def test_poke_holds_a_slot_reschedule_frees_it_between_pokes_deferrable_holds_none():
    seconds = {}
    for mode, deferrable in (("poke", False), ("reschedule", False), ("poke", True)):
        s, run = wait_days(mode, deferrable, timeout=timedelta(days=6), days=5)  # (5 days: a quicker test)
        assert run.state == "success" and run.tis["ship"].start_date == EPOCH + timedelta(days=5)
        seconds[(mode, deferrable)] = (s.slot_seconds(run.run_id)["wait"], s.pokes(run.run_id).get("wait", 0))
    assert seconds[("poke", False)] == (5 * 86_400, 7_201)  # a slot held for the whole wait
    assert seconds[("reschedule", False)][0] == 0 and seconds[("reschedule", False)][1] == 7_201
    assert seconds[("poke", True)] == (0, 0)  # the triggerer waits; no worker slot, no poke
    assert any(e.kind == "TaskInstance deferred" for e in s.trace)


def test_a_deferred_task_holds_no_slot_so_other_work_runs():
    with DAG("defer_slots") as dag:
        for i in range(2):
            TimeDeltaSensor(task_id=f"w{i}", delta=timedelta(days=1), deferrable=True)
        EmptyOperator(task_id="work")
    s = Scheduler([dag], clock=VirtualClock(EPOCH), parallelism=1)
    run = s.trigger_dag("defer_slots")
    assert run.tis["work"].state == "success" and {run.tis["w0"].state, run.tis["w1"].state} == {"deferred"}
    assert s.executor.occupied == 0
    s.run_until_done(run.run_id)
    assert run.state == "success"


def test_a_deferred_task_survives_a_scheduler_restart(tmp_path):
    db = tmp_path / "d.db"

    def build():
        with DAG("defer_restart") as dag:
            TimeDeltaSensor(task_id="w", delta=timedelta(days=2), deferrable=True)
        return dag

    s = Scheduler([build()], db=db, clock=VirtualClock(EPOCH))
    run_id = s.trigger_dag("defer_restart").run_id
    s.advance(timedelta(days=1))
    s.close()
    s2 = Scheduler([build()], db=db, clock=VirtualClock(EPOCH))
    assert s2.dag_run(run_id).tis["w"].state == "deferred"
    run = s2.run_until_done(run_id)
    assert run.state == "success" and run.tis["w"].end_date == EPOCH + timedelta(days=2)
    s2.close()


def test_a_sensor_that_cannot_defer_says_so():
    with DAG("no_defer"), pytest.raises(DagError, match="PythonSensor cannot defer"):
        PythonSensor(task_id="p", python_callable=lambda: True, deferrable=True)
