"""Every trigger rule, run for real: upstream tasks end as success / failed / skipped, and the
downstream task runs, is skipped or becomes upstream_failed as in Airflow."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engines.dag import DAG, AirflowSkipException, PythonOperator, TRIGGER_RULES
from engines.dag.trigger_rules import RUN, WAIT, UpstreamCounts, evaluate


def _outcome(kind):
    def fn():
        if kind == "failed":
            raise RuntimeError("upstream failed")
        if kind == "skipped":
            raise AirflowSkipException("skip me")
        return kind
    return fn


def run_rule(make_scheduler, rule, upstream):
    with DAG(f"rule_{rule}") as dag:
        ups = [PythonOperator(f"up{i}", _outcome(kind)) for i, kind in enumerate(upstream)]
        down = PythonOperator("down", lambda: "ran", trigger_rule=rule)
        ups >> down
    s = make_scheduler(dag)
    s.test(dag.dag_id)
    return s.dag_run().tis["down"].state


CASES = [
    ("all_success", ["success", "success"], "success"),
    ("all_success", ["success", "failed"], "upstream_failed"),
    ("all_success", ["success", "skipped"], "skipped"),
    ("all_failed", ["failed", "failed"], "success"),
    ("all_failed", ["failed", "success"], "skipped"),
    ("all_done", ["failed", "skipped", "success"], "success"),
    ("all_skipped", ["skipped", "skipped"], "success"),
    ("all_skipped", ["skipped", "success"], "skipped"),
    ("one_success", ["failed", "success"], "success"),
    ("one_success", ["failed", "failed"], "upstream_failed"),
    ("one_success", ["skipped", "skipped"], "skipped"),
    ("one_failed", ["success", "failed"], "success"),
    ("one_failed", ["success", "success"], "skipped"),
    ("one_done", ["skipped", "failed"], "success"),
    ("one_done", ["skipped", "skipped"], "skipped"),
    ("none_failed", ["success", "skipped"], "success"),
    ("none_failed", ["success", "failed"], "upstream_failed"),
    ("none_failed_min_one_success", ["success", "skipped"], "success"),
    ("none_failed_min_one_success", ["skipped", "skipped"], "skipped"),
    ("none_failed_min_one_success", ["failed", "success"], "upstream_failed"),
    ("none_skipped", ["success", "failed"], "success"),
    ("none_skipped", ["success", "skipped"], "skipped"),
    ("always", ["failed", "skipped"], "success"),
    # the two rules Airflow 2.9 / 2.7 added (airflow/ti_deps/deps/trigger_rule_dep.py)
    ("all_done_min_one_success", ["failed", "success"], "success"),
    ("all_done_min_one_success", ["failed", "failed"], "upstream_failed"),
    ("all_done_min_one_success", ["success", "skipped"], "skipped"),
    ("all_done_setup_success", ["failed", "success"], "success"),  # no setup upstream: all done is enough
]


@pytest.mark.parametrize("rule,upstream,expected", CASES)
def test_trigger_rule(make_scheduler, rule, upstream, expected):
    assert run_rule(make_scheduler, rule, upstream) == expected


def test_every_rule_is_covered():
    assert {c[0] for c in CASES} == set(TRIGGER_RULES)


def test_one_success_runs_without_waiting_for_the_rest(make_scheduler):
    from datetime import timedelta

    with DAG("eager") as dag:
        fast = PythonOperator("fast", lambda: 1)
        slow = PythonOperator("slow", lambda: 1, duration=timedelta(hours=1))
        down = PythonOperator("down", lambda: 1, trigger_rule="one_success")
        [fast, slow] >> down
    s = make_scheduler(dag)
    s.trigger_dag("eager")
    assert s.dag_run().tis["down"].state == "success"
    assert s.dag_run().tis["slow"].state == "running"


def test_upstream_failed_propagates_down_a_chain(make_scheduler):
    with DAG("chain") as dag:
        a = PythonOperator("a", _outcome("failed"))
        b = PythonOperator("b", lambda: 1)
        c = PythonOperator("c", lambda: 1)
        cleanup = PythonOperator("cleanup", lambda: 1, trigger_rule="all_done")
        a >> b >> c >> cleanup
    s = make_scheduler(dag)
    run = s.test("chain")
    states = {t: ti.state for t, ti in run.tis.items()}
    assert states == {"a": "failed", "b": "upstream_failed", "c": "upstream_failed", "cleanup": "success"}
    assert run.state == "success"  # the only leaf succeeded, as Airflow decides run state by leaves


counts = st.builds(
    lambda s, k, f, u: UpstreamCounts(total=s + k + f + u, success=s, skipped=k, failed=f, upstream_failed=u),
    st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.integers(0, 4))


@given(rule=st.sampled_from(TRIGGER_RULES), c=counts)
def test_no_rule_waits_once_every_upstream_is_done(rule, c):
    assert evaluate(rule, c) != WAIT


@given(rule=st.sampled_from(TRIGGER_RULES), n=st.integers(1, 6))
def test_when_every_upstream_succeeded_the_success_rules_run_and_the_others_skip(rule, n):
    c = UpstreamCounts(total=n, success=n)
    runs = {"all_success", "all_done", "one_success", "one_done", "none_failed", "none_failed_min_one_success",
            "none_skipped", "always", "all_done_min_one_success", "all_done_setup_success"}
    assert evaluate(rule, c) == (RUN if rule in runs else "skipped")
