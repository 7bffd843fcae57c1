"""Sensors (poke vs reschedule slot accounting, the 7-day default timeout, soft_fail) and pools."""

from datetime import timedelta

from engines.clock import EPOCH
from engines.dag import DAG, EmptyOperator, PythonOperator, PythonSensor, TimeDeltaSensor


def test_default_sensor_timeout_is_7_days_and_is_never_retried(make_scheduler):
    with DAG("wait") as dag:
        w = PythonSensor("w", lambda: False, retries=3)
        after = EmptyOperator("after")
        w >> after
    assert w.timeout == timedelta(days=7) and w.poke_interval == timedelta(seconds=60) and w.mode == "poke"
    s = make_scheduler(dag)
    run = s.test("wait")
    ti = run.tis["w"]
    assert (run.state, ti.state, ti.try_number) == ("failed", "failed", 1)
    assert run.tis["after"].state == "upstream_failed"
    # Airflow (airflow/sdk/bases/sensor.py) checks `run_duration() > timeout` after a false poke, on a
    # wall clock where each poke takes a moment: the poke due at 604,800 s is already past it, so it
    # times out at poke 10,081 (issue 15), not a poke later
    assert ti.end_date - ti.start_date == timedelta(seconds=604_800)
    assert ti.pokes == 10_081
    assert any(e.data.get("error") == "AirflowSensorTimeout" for e in s.trace)


def test_poke_mode_holds_the_slot_and_reschedule_mode_frees_it(make_scheduler, clock):
    from engines.clock import VirtualClock

    results = {}
    for mode in ("poke", "reschedule"):
        with DAG(f"sense_{mode}") as dag:
            TimeDeltaSensor("wait", delta=timedelta(days=2), mode=mode, poke_interval=600)
        s = make_scheduler(dag, clock=VirtualClock(EPOCH))
        run = s.test(dag.dag_id)
        assert run.state == "success" and run.end_date == EPOCH + timedelta(days=2)
        results[mode] = (s.slot_seconds()["wait"], s.pokes()["wait"], s.meta.reschedule_count())
    assert results["poke"] == (2 * 86400, 2 * 86400 // 600 + 1, 0)
    assert results["reschedule"][0] == 0
    assert results["reschedule"][1] == 2 * 86400 // 600 + 1
    assert results["reschedule"][2] == 2 * 86400 // 600


def test_reschedule_mode_shows_up_for_reschedule_between_pokes(make_scheduler):
    with DAG("resched") as dag:
        TimeDeltaSensor("wait", delta=timedelta(hours=1), mode="reschedule", poke_interval=600)
    s = make_scheduler(dag)
    s.trigger_dag("resched")
    s.advance(timedelta(minutes=5))
    assert s.dag_run().tis["wait"].state == "up_for_reschedule"
    assert s.executor.occupied == 0


def test_soft_fail_skips_the_sensor_and_its_downstream(make_scheduler):
    with DAG("soft") as dag:
        w = PythonSensor("w", lambda: False, timeout=300, soft_fail=True)
        after = EmptyOperator("after")
        w >> after
    s = make_scheduler(dag)
    run = s.test("soft")
    assert (run.tis["w"].state, run.tis["after"].state, run.state) == ("skipped", "skipped", "success")


def test_sensor_exponential_backoff_grows_the_poke_interval(make_scheduler):
    times = []
    with DAG("expo") as dag:
        PythonSensor("w", lambda now: times.append(now) or False, poke_interval=60, timeout=3600, exponential_backoff=True,
                     soft_fail=True)
    s = make_scheduler(dag)
    s.test("expo")
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert len(gaps) >= 3 and gaps[2] > gaps[0] and len(times) < 60


def test_pools_limit_concurrency(make_scheduler):
    with DAG("pooled") as dag:
        [PythonOperator(f"t{i}", lambda: 1, pool="db", duration=timedelta(minutes=10)) for i in range(5)]
    s = make_scheduler(dag, pools={"db": 2})
    s.trigger_dag("pooled")
    states = sorted(ti.state for ti in s.dag_run().tis.values())
    assert states.count("running") == 2 and states.count("scheduled") == 3
    run = s.run_until_done(s.dag_run().run_id)
    assert run.state == "success" and run.end_date == EPOCH + timedelta(minutes=30)
    assert s.executor.peak == 2


def test_parallelism_caps_worker_slots_and_poke_sensors_starve_other_work(make_scheduler):
    with DAG("sensors") as sensors:
        PythonSensor("s1", lambda: False, timeout=3600, soft_fail=True)
        PythonSensor("s2", lambda: False, timeout=3600, soft_fail=True)
    with DAG("etl") as etl:
        PythonOperator("extract", lambda: 1)
    s = make_scheduler(sensors, etl, parallelism=2)
    s.trigger_dag("sensors")
    etl_run = s.trigger_dag("etl")
    s.advance(timedelta(minutes=30))
    assert etl_run.tis["extract"].state == "scheduled"  # both worker slots idle in poke sensors
    s.run_until_done(etl_run.run_id)
    # the sensors time out (soft_fail: skipped) at the poke due at 3,600 s, as in Airflow
    assert etl_run.tis["extract"].start_date == EPOCH + timedelta(seconds=3600)


def test_pool_slots_take_several_slots(make_scheduler):
    with DAG("heavy") as dag:
        PythonOperator("big", lambda: 1, pool="p", pool_slots=3, duration=60)
        PythonOperator("small", lambda: 1, pool="p", duration=60)
    s = make_scheduler(dag, pools={"p": 3})
    s.trigger_dag("heavy")
    states = {t: ti.state for t, ti in s.dag_run().tis.items()}
    assert sorted(states.values()) == ["running", "scheduled"]


def test_airflow_reschedule_exception_frees_the_slot_and_runs_the_same_try_later(make_scheduler):
    from engines.dag import AirflowRescheduleException

    calls = []

    def not_yet(ti, now):
        calls.append((ti.try_number, now))
        if len(calls) == 1:
            raise AirflowRescheduleException(now + timedelta(hours=1))
        return "done"

    with DAG("resched_exc") as dag:
        PythonOperator("t", not_yet, retries=0, duration=60)
    s = make_scheduler(dag)
    run = s.trigger_dag("resched_exc")
    s.advance(timedelta(minutes=5))
    ti = run.tis["t"]
    assert (ti.state, ti.try_number, ti.next_at) == ("up_for_reschedule", 1, EPOCH + timedelta(hours=1))
    assert s.executor.occupied == 0 and s.meta.reschedule_count(run.run_id) == 1
    s.run_until_done(run.run_id)
    # not a failure: no retry was used (retries=0), the same try ran again at the reschedule date
    assert run.state == "success" and calls == [(1, EPOCH), (1, EPOCH + timedelta(hours=1))]
    assert [(r["try_number"], r["state"]) for r in s.grid()] == [(1, "success")]
    assert s.slot_seconds()["t"] == 120  # one minute before the reschedule, one after


def test_a_sensor_raising_airflow_reschedule_exception_gives_its_slot_back(make_scheduler):
    from engines.dag import AirflowRescheduleException

    pokes = []

    def poke(now):
        pokes.append(now)
        if len(pokes) == 1:
            raise AirflowRescheduleException(now + timedelta(minutes=30))
        return True

    with DAG("sensor_resched") as dag:
        PythonSensor("w", poke, mode="poke")
    s = make_scheduler(dag)
    run = s.trigger_dag("sensor_resched")
    assert run.tis["w"].state == "up_for_reschedule" and s.executor.occupied == 0
    s.run_until_done(run.run_id)
    assert run.state == "success" and pokes == [EPOCH, EPOCH + timedelta(minutes=30)]
    assert s.meta.reschedule_count() == 1 and s.slot_seconds()["w"] == 0
