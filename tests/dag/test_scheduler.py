"""Schedules and catchup, restart from the metadata database, mark-failed, worker crash, versioning,
and driving the engine step by step."""

from datetime import timedelta

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.dag import DAG, DagError, EmptyOperator, PythonOperator, PythonSensor, Scheduler
from engines.store import open_store


def daily(catchup, start_days_ago=3):
    with DAG("daily", schedule="@daily", start_date=EPOCH - timedelta(days=start_days_ago), catchup=catchup) as dag:
        EmptyOperator("t")
    return dag


def test_catchup_creates_the_missed_runs(make_scheduler):
    s = make_scheduler(daily(True))
    s.step()
    assert [r.logical_date for r in s.runs.values()] == [EPOCH - timedelta(days=d) for d in (3, 2, 1, 0)]
    assert all(r.run_type == "scheduled" and r.state == "success" for r in s.runs.values())
    s.advance(timedelta(days=2))
    assert len(s.runs) == 6


def test_without_catchup_only_the_latest_interval_runs(make_scheduler):
    s = make_scheduler(daily(False))
    s.step()
    assert [r.logical_date for r in s.runs.values()] == [EPOCH]


def test_cron_expressions_and_hourly_presets(make_scheduler):
    with DAG("cron", schedule="*/15 9-10 * * *", start_date=EPOCH) as dag:
        EmptyOperator("t")
    s = make_scheduler(dag)
    s.advance(timedelta(days=1))
    hours = [(r.logical_date.hour, r.logical_date.minute) for r in s.runs.values()]
    assert hours == [(9, 0), (9, 15), (9, 30), (9, 45), (10, 0), (10, 15), (10, 30), (10, 45)]


def test_restart_continues_from_the_metadata_database(tmp_path):
    db = tmp_path / "airflow.db"
    calls = []

    def flaky_b(ti):
        calls.append(f"b{ti.try_number}")
        if ti.try_number == 1:
            raise RuntimeError("transient")
        return ti.xcom_pull(task_ids="a") + 1

    def build():
        with DAG("resume", default_args={"retries": 2, "retry_delay": 600}) as dag:
            a = PythonOperator("a", lambda: calls.append("a") or 1)
            b = PythonOperator("b", flaky_b)
            c = PythonOperator("c", lambda ti: calls.append("c") or ti.xcom_pull(task_ids="b"))
            a >> b >> c
        return dag

    s1 = Scheduler([build()], clock=VirtualClock(EPOCH), db=db)
    run_id = s1.trigger_dag("resume").run_id
    s1.advance(timedelta(seconds=60))
    assert s1.dag_run(run_id).tis["b"].state == "up_for_retry"
    s1.close()  # the scheduler process goes away

    clock2 = VirtualClock(EPOCH)  # a new process starts from scratch; the file knows the time
    s2 = Scheduler([build()], clock=clock2, db=db)
    assert clock2.now() == EPOCH + timedelta(seconds=60)
    run = s2.dag_run(run_id)
    assert run.tis["a"].state == "success" and run.tis["b"].state == "up_for_retry"
    s2.run_until_done(run_id)
    assert run.state == "success"
    assert calls == ["a", "b1", "b2", "c"]  # a did not run again
    assert s2.xcom_pull(run_id, "c") == 2
    assert run.tis["b"].start_date == EPOCH + timedelta(seconds=600)
    s2.close()


def test_restart_with_a_task_mid_run_treats_its_worker_as_lost(tmp_path):
    db = tmp_path / "airflow.db"

    def build():
        with DAG("mid", default_args={"retries": 1, "retry_delay": 60}) as dag:
            PythonOperator("long", lambda: 1, duration=timedelta(hours=1))
        return dag

    s1 = Scheduler([build()], clock=VirtualClock(EPOCH), db=db)
    run_id = s1.trigger_dag("mid").run_id
    s1.advance(timedelta(minutes=10))
    s1.close()
    s2 = Scheduler([build()], clock=VirtualClock(EPOCH), db=db)
    run = s2.run_until_done(run_id)
    assert run.state == "success"
    assert [(r["try_number"], r["state"]) for r in s2.grid(run_id)] == [(1, "up_for_retry"), (2, "success")]
    s2.close()


def test_mark_dag_run_failed_kills_running_skips_the_rest_and_tells_task_code_nothing(make_scheduler):
    heard = []
    with DAG("cancel") as dag:
        charge = PythonOperator("charge", lambda: "charged")
        wait = PythonSensor("wait", lambda: False, timeout=timedelta(days=30),
                            on_failure_callback=lambda ctx: heard.append("callback"))
        refund = PythonOperator("refund", lambda: heard.append("refund"), trigger_rule="one_failed")
        ship = PythonOperator("ship", lambda: heard.append("ship"))
        charge >> wait >> [ship, refund]
    s = make_scheduler(dag)
    run = s.trigger_dag("cancel")
    s.advance(timedelta(days=3))
    killed = s.mark_dag_run_failed(run.run_id)
    s.run_until_idle()
    assert killed == ["wait"]
    assert {t: ti.state for t, ti in run.tis.items()} == {
        "charge": "success", "wait": "failed", "refund": "skipped", "ship": "skipped"}
    assert run.state == "failed" and heard == []
    assert s.executor.occupied == 0
    # the slot was held until the worker's supervisor killed the process (heartbeat + SIGKILL delay)
    assert s.slot_seconds()["wait"] == 3 * 86400 + 10
    event = next(e for e in s.trace if e.kind == "DagRun marked failed")
    assert "no running actor to receive it" in event.detail
    with pytest.raises(DagError, match="already finished"):
        s.mark_dag_run_failed(run.run_id)


def test_a_killed_worker_is_retried_from_scratch_after_the_heartbeat_timeout(make_scheduler):
    starts = []
    with DAG("crash") as dag:
        PythonOperator("t", lambda ti, now: starts.append((ti.try_number, now)), duration=timedelta(hours=1),
                       retries=1, retry_delay=60)
    s = make_scheduler(dag)
    run = s.trigger_dag("crash")
    s.advance(timedelta(minutes=30))
    assert s.kill_worker() == ["t"]
    assert run.tis["t"].state == "running"  # the metadata does not know yet
    s.run_until_done(run.run_id)
    assert run.state == "success"
    assert starts == [(1, EPOCH), (2, EPOCH + timedelta(minutes=30, seconds=360))]


def test_deploy_moves_a_running_run_to_the_new_version_unless_the_bundle_is_versioned(make_scheduler):
    def build(v2):
        with DAG("versions") as dag:
            a = PythonOperator("a", lambda: 1)
            w = PythonSensor("w", lambda now: now >= EPOCH + timedelta(days=1), poke_interval=3600)
            b = PythonOperator("b", lambda: 1)
            a >> w >> b
            if v2:
                PythonOperator("check", lambda: "ok") >> b
        return dag

    for versioned, expected in ((False, {"a", "w", "b", "check"}), (True, {"a", "w", "b"})):
        s = make_scheduler(build(False), clock=VirtualClock(EPOCH), versioned_bundle=versioned)
        run = s.trigger_dag("versions")
        s.advance(timedelta(hours=2))
        assert s.deploy(build(True)) == 2
        s.run_until_done(run.run_id)
        assert set(run.tis) == expected and run.state == "success"
        assert run.dag_version == (1 if versioned else 2)


def test_step_by_step_driving_reads_the_grid_at_any_moment(make_scheduler):
    with DAG("steps") as dag:
        a = PythonOperator("a", lambda: 1, duration=60)
        b = PythonOperator("b", lambda: 1, duration=60)
        a >> b
    s = make_scheduler(dag)
    s.trigger_dag("steps")
    seen = [[(r["task_id"], r["state"]) for r in s.grid()]]
    s.advance(timedelta(seconds=60))
    seen.append([(r["task_id"], r["state"]) for r in s.grid()])
    s.run_until_idle()
    seen.append([(r["task_id"], r["state"]) for r in s.grid()])
    assert seen == [[("a", "running"), ("b", "none")], [("a", "success"), ("b", "running")],
                    [("a", "success"), ("b", "success")]]


def test_a_newer_schema_is_refused_and_the_file_kept(tmp_path):
    from engines.store import SchemaVersionError

    db = tmp_path / "m.db"
    store = open_store(db)
    store.ensure_schema("dag", 99, "CREATE TABLE x (a)")
    store.close()
    with pytest.raises(SchemaVersionError, match="newer"):
        Scheduler([], db=db)


def test_scheduler_test_runs_one_manual_run_to_its_end_like_airflow_dags_test(make_scheduler):
    with DAG("once", default_args={"duration": 60}) as dag:
        a = PythonOperator("a", lambda params: params["rows"])
        b = PythonOperator("b", lambda ti: ti.xcom_pull(task_ids="a") * 2)
        a >> b
    s = make_scheduler(dag)
    run = s.test("once", conf={"rows": 21})
    assert (run.run_type, run.state, run.conf) == ("manual", "success", {"rows": 21})
    assert run.run_id == f"manual__{EPOCH.isoformat()}" and run.end_date == EPOCH + timedelta(minutes=2)
    assert s.xcom_pull(run.run_id, "b") == 42


def test_two_schedulers_in_two_threads_share_nothing():
    import threading

    def build(name):
        with DAG(name, default_args={"retries": 1, "retry_delay": 60, "duration": 30}) as dag:
            a = PythonOperator("a", lambda ti: ti.try_number)
            b = PythonOperator("b", lambda ti: 1 / (ti.try_number - 1))  # fails once, then succeeds
            w = PythonSensor("w", lambda now: now >= EPOCH + timedelta(hours=1), poke_interval=600, mode="reschedule")
            a >> b >> w
        return dag

    def run_one(name):
        s = Scheduler([build(name)], clock=VirtualClock(EPOCH))
        run = s.test(name)
        result = (run.state, [(r["task_id"], r["try_number"], r["state"], r["end"]) for r in s.grid()],
                  s.pokes(), s.meta.reschedule_count())
        s.close()
        return result

    expected = run_one("alone")
    start = threading.Barrier(4, timeout=10)
    results = {}

    def worker(i):
        start.wait()
        for n in range(5):
            results[(i, n)] = run_one(f"thread{i}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and all(r == expected for r in results.values())
    assert expected[0] == "success" and expected[2] == {"w": 7}
