"""The DAG file's shape: dependencies, and clear errors for cycles, duplicates, bad rules and schedules."""

import pytest

from engines.dag import (
    DAG,
    AirflowDagCycleException,
    DagError,
    DuplicateTaskIdFound,
    EmptyOperator,
    PythonOperator,
    Scheduler,
    UnknownTriggerRule,
)
from engines.errors import WorkflowCanvasError


def test_rshift_and_lshift_with_lists_build_the_graph():
    with DAG("shape") as dag:
        a, b, c, d = (EmptyOperator(x) for x in "abcd")
        a >> [b, c] >> d
        e = EmptyOperator("e")
        e << d
    assert set(dag.graph.edges) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e")}
    assert dag.get_task("d").upstream_task_ids == {"b", "c"}


def test_a_cycle_is_refused_with_the_cycle_named():
    with DAG("loop") as dag:
        a, b, c = (EmptyOperator(x) for x in "abc")
        a >> b >> c >> a
    with pytest.raises(AirflowDagCycleException) as err:
        Scheduler([dag])
    msg = str(err.value)
    assert "loop" in msg and "cycle" in msg
    assert all(t in msg for t in ("a", "b", "c")) and ">>" in msg
    assert isinstance(err.value, WorkflowCanvasError)


def test_duplicate_task_id_is_refused():
    with DAG("dup"):
        EmptyOperator("same")
        with pytest.raises(DuplicateTaskIdFound, match="same"):
            EmptyOperator("same")


def test_unknown_trigger_rule_names_task_and_rule():
    with DAG("rules"):
        with pytest.raises(UnknownTriggerRule, match=r"task t.*'all_good'.*all_success"):
            EmptyOperator("t", trigger_rule="all_good")


@pytest.mark.parametrize("schedule", ["@fortnightly", "61 * * * *", "every day"])
def test_bad_schedule_is_refused(schedule):
    with pytest.raises(DagError, match="schedule"):
        DAG("sched", schedule=schedule)


def test_default_args_fill_operator_arguments():
    with DAG("defaults", default_args={"retries": 3, "retry_delay": 10, "pool": "etl"}) as dag:
        t = PythonOperator("t", lambda: 1)
        u = PythonOperator("u", lambda: 1, retries=0)
    assert (t.retries, t.retry_delay.total_seconds(), t.pool) == (3, 10, "etl")
    assert u.retries == 0
    with DAG("airflow_defaults") as dag:
        v = EmptyOperator("v")
    assert (v.retries, v.retry_delay.total_seconds(), v.trigger_rule, v.pool, v.pool_slots) == (
        0, 300, "all_success", "default_pool", 1)
    assert dag.catchup is False  # Airflow 3's default


def test_task_outside_a_dag_is_refused():
    with pytest.raises(DagError, match="inside"):
        EmptyOperator("lonely")


def test_a_pool_that_does_not_exist_is_named_when_the_run_starts():
    with DAG("pooled") as dag:
        EmptyOperator("t", pool="gpu")
    s = Scheduler([dag])
    with pytest.raises(DagError, match="pool 'gpu' does not exist"):
        s.trigger_dag("pooled")


def test_a_dag_lists_and_finds_its_tasks_as_airflow_does():
    from engines.dag import TaskNotFound

    with DAG("lookup") as dag:
        a, b, c = (EmptyOperator(x) for x in "abc")
        a >> [b, c]
    assert dag.task_ids == ["a", "b", "c"] and dag.tasks == [a, b, c]
    assert dag.get_task("b") is b
    assert a.downstream_task_ids == {"b", "c"} and a.upstream_task_ids == set()
    assert b.upstream_task_ids == {"a"} and b.downstream_task_ids == set()
    with pytest.raises(TaskNotFound, match=r"'nope'.*a, b, c"):
        dag.get_task("nope")
    assert issubclass(TaskNotFound, DagError)


def test_the_current_dag_of_a_with_block_is_per_thread():
    import threading

    both_open = threading.Barrier(2, timeout=10)
    made = {}

    def build(name):
        with DAG(name) as dag:
            both_open.wait()  # both `with DAG` blocks are open at the same time
            EmptyOperator(f"{name}_task")
            both_open.wait()
        made[name] = dag

    threads = [threading.Thread(target=build, args=(name,)) for name in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made["left"].task_ids == ["left_task"] and made["right"].task_ids == ["right_task"]
    with pytest.raises(DagError, match="inside"):
        EmptyOperator("after")  # this thread never opened a DAG
