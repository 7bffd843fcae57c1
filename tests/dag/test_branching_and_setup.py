"""Branching, short-circuits, setup/teardown, weight_rule, max_active_runs and depends_on_past,
as Airflow 3.3 decides them.

Sources: airflow/providers/standard/utils/skipmixin.py (skip_all_except, the join of an empty
branch), operators/python.py (ShortCircuitOperator, ignore_downstream_trigger_rules, teardowns
never skipped), airflow/ti_deps/deps/trigger_rule_dep.py (setup constraint, teardown scope),
airflow/models/dagrun.py (_tis_for_dagrun_state: teardowns do not decide the run),
airflow/sdk/definitions/dag.py (validate_setup_teardown), airflow/task/weight_rule.py,
airflow/ti_deps/deps/prev_dagrun_dep.py.
"""

from datetime import timedelta

import pytest

from engines.dag import (
    DAG,
    BranchPythonOperator,
    DagError,
    EmptyOperator,
    PythonOperator,
    ShortCircuitOperator,
    TaskGroup,
    setup,
    task,
    teardown,
)


def states(run):
    return {k: str(ti.state) for k, ti in run.tis.items()}


def test_branch_follows_the_chosen_task_and_the_join_of_an_empty_branch_runs(make_scheduler):
    with DAG("branch") as dag:
        choose = BranchPythonOperator(task_id="choose", python_callable=lambda: "left")
        left, right = EmptyOperator(task_id="left"), EmptyOperator(task_id="right")
        join = EmptyOperator(task_id="join")  # all_success, and also right after `choose`
        choose >> [left, right]
        left >> join
        choose >> join
    run = make_scheduler(dag).test("branch")
    assert states(run) == {"choose": "success", "left": "success", "right": "skipped", "join": "success"}


def test_branch_to_a_task_group_and_to_nothing(make_scheduler):
    @task.branch
    def pick():
        return "grp"

    with DAG("branch_group") as dag:
        b = pick()
        with TaskGroup("grp") as grp:
            EmptyOperator(task_id="a")
        other = EmptyOperator(task_id="other")
        b >> [grp, other]
        none = BranchPythonOperator(task_id="none", python_callable=lambda: None)
        none >> EmptyOperator(task_id="after_none")
    run = make_scheduler(dag).test("branch_group")
    assert states(run)["grp.a"] == "success" and states(run)["other"] == "skipped"
    assert states(run)["after_none"] == "skipped"


def test_a_branch_to_a_task_that_is_not_there_fails(make_scheduler):
    with DAG("bad_branch") as dag:
        b = BranchPythonOperator(task_id="b", python_callable=lambda: "nope")
        b >> EmptyOperator(task_id="x")
    s = make_scheduler(dag)
    run = s.test("bad_branch")
    assert run.tis["b"].state == "failed"
    assert any("Invalid tasks found" in e.detail for e in s.trace)


@pytest.mark.parametrize("ignore, expected", [
    (True, {"sc": "success", "a": "skipped", "b": "skipped", "done": "skipped", "clean": "success"}),
    (False, {"sc": "success", "a": "skipped", "b": "skipped", "done": "success", "clean": "success"}),
])
def test_short_circuit_skips_all_downstream_or_only_the_direct_ones(make_scheduler, ignore, expected):
    with DAG(f"sc_{ignore}") as dag:
        sc = ShortCircuitOperator(task_id="sc", python_callable=lambda: 0, ignore_downstream_trigger_rules=ignore)
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        done = EmptyOperator(task_id="done", trigger_rule="all_done")
        clean = EmptyOperator(task_id="clean").as_teardown()
        sc >> a >> b >> done >> clean
        sc >> clean
    assert states(make_scheduler(dag).test(dag.dag_id)) == expected


def test_a_truthy_short_circuit_pushes_its_value_and_lets_everything_run(make_scheduler):
    with DAG("sc_true") as dag:
        ShortCircuitOperator(task_id="sc", python_callable=lambda: "go") >> EmptyOperator(task_id="a")
    s = make_scheduler(dag)
    run = s.test("sc_true")
    assert states(run) == {"sc": "success", "a": "success"} and s.xcom_pull(run.run_id, "sc") == "go"


def test_teardown_runs_after_a_failure_and_does_not_decide_the_run(make_scheduler):
    @setup
    def create():
        return "cluster-1"

    @task
    def work(cluster):
        return cluster

    @teardown
    def delete(cluster):
        raise RuntimeError("cleanup failed")

    with DAG("st") as dag:
        c = create()
        w = work(c)
        d = delete(c)
        w >> d
    run = make_scheduler(dag).test("st")
    assert states(run) == {"create": "success", "work": "success", "delete": "failed"}
    assert run.state == "success"  # a teardown's failure does not fail the run...

    @teardown(on_failure_fail_dagrun=True)
    def strict(cluster):
        raise RuntimeError("cleanup failed")

    with DAG("st_strict") as dag2:
        c = create()
        work(c) >> strict(c)
    assert make_scheduler(dag2).test("st_strict").state == "failed"  # ...unless on_failure_fail_dagrun


def test_a_failed_setup_skips_its_work_and_its_teardown_is_upstream_failed(make_scheduler):
    with DAG("setup_fails") as dag:
        s = PythonOperator(task_id="create", python_callable=lambda: 1 / 0).as_setup()
        w = EmptyOperator(task_id="work")
        w2 = EmptyOperator(task_id="work2", trigger_rule="all_success")
        t = EmptyOperator(task_id="delete").as_teardown(setups=s)
        s >> w >> w2 >> t
    run = make_scheduler(dag).test("setup_fails")
    assert states(run) == {"create": "failed", "work": "upstream_failed", "work2": "upstream_failed",
                           "delete": "upstream_failed"}
    assert run.state == "failed"


def test_teardown_waits_for_work_in_its_scope(make_scheduler):
    with DAG("scope") as dag:
        s = EmptyOperator(task_id="create").as_setup()
        slow = EmptyOperator(task_id="slow", duration=timedelta(hours=1))
        fast = EmptyOperator(task_id="fast")
        t = EmptyOperator(task_id="delete").as_teardown(setups=s)
        s >> slow >> fast
        fast >> t
    sched = make_scheduler(dag)
    run = sched.test("scope")
    assert run.tis["delete"].start_date >= run.tis["slow"].end_date


def test_a_setup_must_be_followed_by_all_success(make_scheduler):
    with DAG("bad_setup") as dag:
        s = EmptyOperator(task_id="create").as_setup()
        s >> EmptyOperator(task_id="work", trigger_rule="all_done")
    with pytest.raises(DagError, match="Setup tasks must be followed with trigger rule ALL_SUCCESS"):
        make_scheduler(dag)


def test_weight_rule_downstream_decides_which_ready_task_gets_the_one_slot(make_scheduler):
    order = []
    with DAG("weights") as dag:
        short = PythonOperator(task_id="short", python_callable=lambda: order.append("short"))
        long = PythonOperator(task_id="long", python_callable=lambda: order.append("long"))
        tail = [EmptyOperator(task_id=f"after{i}") for i in range(3)]
        long >> tail[0] >> tail[1] >> tail[2]
        absolute = PythonOperator(task_id="absolute", python_callable=lambda: order.append("absolute"),
                                  priority_weight=3, weight_rule="absolute")
    assert (long.priority_weight_total, short.priority_weight_total, absolute.priority_weight_total) == (4, 1, 3)
    make_scheduler(dag, parallelism=1).test("weights")
    assert order == ["long", "absolute", "short"]


def test_an_unknown_weight_rule_is_one_line():
    with DAG("bad_weight"), pytest.raises(DagError, match="unknown weight_rule 'heavy'"):
        EmptyOperator(task_id="t", weight_rule="heavy")


def test_max_active_runs_queues_the_rest(make_scheduler):
    with DAG("limited", max_active_runs=1) as dag:
        EmptyOperator(task_id="t", duration=timedelta(minutes=10))
    s = make_scheduler(dag)
    first, second = s.trigger_dag("limited"), s.trigger_dag("limited")
    assert (first.state, second.state) == ("running", "queued")
    s.run_until_done(second.run_id)
    assert second.state == "success" and second.start_date == first.end_date


def test_depends_on_past_waits_for_the_previous_runs_task(make_scheduler, clock):
    calls = []
    with DAG("past", schedule=timedelta(hours=1), start_date=clock.now() - timedelta(hours=2), catchup=True) as dag:
        PythonOperator(task_id="t", python_callable=lambda ds, run_id: calls.append(run_id) or 1 / (len(calls) - 1),
                       depends_on_past=True)
    s = make_scheduler(dag)
    s.step()
    runs = list(s.runs.values())
    assert runs[0].tis["t"].state == "failed"  # the first try divides by zero
    assert all(r.tis["t"].state == "none" for r in runs[1:])  # the later runs wait for it, forever
    assert len(calls) == 1
