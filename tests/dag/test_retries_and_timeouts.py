"""Retries with their delays on virtual time, exponential backoff, execution_timeout, dagrun_timeout."""

from datetime import timedelta

from engines.clock import EPOCH
from engines.dag import DAG, AirflowFailException, PythonOperator


def failing(times, exc=RuntimeError):
    calls = []

    def fn(now, ti):
        calls.append((now, ti.try_number))
        if len(calls) <= times:
            raise exc("not yet")
        return "ok"
    return fn, calls


def tries(s, task_id):
    return [r for r in s.grid() if r["task_id"] == task_id]


def test_retries_wait_retry_delay_on_virtual_time(make_scheduler):
    fn, calls = failing(2)
    with DAG("r") as dag:
        PythonOperator("t", fn, retries=3, retry_delay=timedelta(minutes=5))
    s = make_scheduler(dag)
    run = s.test("r")
    assert run.state == "success"
    assert [c[0] - EPOCH for c in calls] == [timedelta(0), timedelta(minutes=5), timedelta(minutes=10)]
    assert [(r["try_number"], r["state"]) for r in tries(s, "t")] == [(1, "up_for_retry"), (2, "up_for_retry"), (3, "success")]


def test_default_retry_delay_is_300_seconds_and_retries_run_out(make_scheduler):
    fn, calls = failing(10)
    with DAG("out") as dag:
        PythonOperator("t", fn, retries=2)
    s = make_scheduler(dag)
    run = s.test("out")
    assert run.state == "failed"
    assert [c[1] for c in calls] == [1, 2, 3]
    assert calls[1][0] - calls[0][0] == timedelta(seconds=300)
    assert run.tis["t"].state == "failed" and run.tis["t"].try_number == 3


def test_airflow_fail_exception_is_never_retried(make_scheduler):
    fn, calls = failing(1, AirflowFailException)
    with DAG("nofail") as dag:
        PythonOperator("t", fn, retries=5)
    s = make_scheduler(dag)
    assert s.test("nofail").state == "failed"
    assert len(calls) == 1


def test_exponential_backoff_multiplies_the_delay_and_is_capped(make_scheduler):
    fn, calls = failing(4)
    with DAG("backoff") as dag:
        PythonOperator("t", fn, retries=4, retry_delay=timedelta(minutes=4), retry_exponential_backoff=5)
    s = make_scheduler(dag)
    s.test("backoff")
    gaps = [(b[0] - a[0]).total_seconds() for a, b in zip(calls, calls[1:])]
    # Airflow 3.3: ceil(delay * m**(try-1)) plus a jitter below that much again
    for i, gap in enumerate(gaps):
        base = 240 * 5 ** i
        assert base <= gap < 2 * base or gap == 86400
    assert gaps[0] < gaps[1] < gaps[2]
    fn2, calls2 = failing(3)
    with DAG("capped") as dag2:
        PythonOperator("t", fn2, retries=3, retry_delay=60, retry_exponential_backoff=10, max_retry_delay=timedelta(minutes=30))
    s2 = make_scheduler(dag2, clock=type(s.clock)(EPOCH))
    s2.test("capped")
    gaps2 = [(b[0] - a[0]).total_seconds() for a, b in zip(calls2, calls2[1:])]
    assert max(gaps2) == 1800


def test_execution_timeout_fails_the_try_and_is_retried(make_scheduler):
    calls = []
    with DAG("slow") as dag:
        PythonOperator("t", lambda ti: calls.append(ti.try_number), duration=timedelta(minutes=10),
                       execution_timeout=timedelta(minutes=3), retries=1, retry_delay=60)
    s = make_scheduler(dag)
    run = s.test("slow")
    assert run.state == "failed" and calls == [1, 2]
    rows = tries(s, "t")
    assert [r["state"] for r in rows] == ["up_for_retry", "failed"]
    assert rows[0]["end"] - rows[0]["start"] == timedelta(minutes=3)
    assert rows[0]["slot_seconds"] == 180
    assert any("AirflowTaskTimeout" in e.detail for e in s.trace)


def test_dagrun_timeout_fails_the_run_and_skips_what_is_unfinished(make_scheduler):
    with DAG("bounded", dagrun_timeout=timedelta(hours=1)) as dag:
        a = PythonOperator("a", lambda: 1, duration=timedelta(hours=2))
        b = PythonOperator("b", lambda: 1)
        a >> b
    s = make_scheduler(dag)
    run = s.test("bounded")
    assert run.state == "failed" and run.end_date == EPOCH + timedelta(hours=1)
    assert run.tis["a"].state == "skipped" and run.tis["b"].state == "skipped"
    assert s.executor.occupied == 0


def test_xcom_passes_small_values_and_refuses_what_is_not_json(make_scheduler):
    with DAG("xcom") as dag:
        a = PythonOperator("a", lambda: {"rows": [1, 2]})
        b = PythonOperator("b", lambda ti: sum(ti.xcom_pull(task_ids="a")["rows"]))
        c = PythonOperator("c", lambda: object())
        a >> b
    s = make_scheduler(dag)
    run = s.test("xcom")
    assert s.xcom_pull(run.run_id, "b") == 3
    assert run.tis["c"].state == "failed"
    # Airflow's serde refuses an object it cannot serialize, and the try fails
    assert any("cannot serialize object of type builtins.object" in e.detail for e in s.trace)


def test_ti_xcom_push_is_pulled_by_key_downstream_and_must_be_json(make_scheduler):
    with DAG("push") as dag:
        a = PythonOperator("a", lambda ti: ti.xcom_push("rows", 3) or "returned")
        b = PythonOperator("b", lambda ti: [ti.xcom_pull(task_ids="a", key="rows"), ti.xcom_pull(task_ids="a"),
                                           ti.xcom_pull(task_ids="a", key="missing", default="none")])
        PythonOperator("bad", lambda ti: ti.xcom_push("obj", object()))
        a >> b
    s = make_scheduler(dag)
    run = s.test("push")
    assert s.xcom_pull(run.run_id, "a", key="rows") == 3
    assert s.xcom_pull(run.run_id, "a") == "returned"
    assert s.xcom_pull(run.run_id, "b") == [3, "returned", "none"]
    assert run.tis["bad"].state == "failed"
    assert any("XCom 'obj': cannot serialize object of type" in e.detail for e in s.trace)
