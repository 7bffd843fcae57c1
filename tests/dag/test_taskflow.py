"""TaskFlow for real (issue 15): `@task` calls return XComArgs that carry values and make
dependencies, `.expand()` maps, `multiple_outputs` pushes keys, templates render with Jinja.

Airflow sources that decide: airflow/sdk/bases/decorator.py (task ids, multiple_outputs
inference), airflow/sdk/definitions/xcom_arg.py (resolve), airflow/sdk/execution_time/task_runner.py
(_push_xcom_if_needed), airflow/sdk/definitions/_internal/templater.py (StrictUndefined, sandbox).
"""

from datetime import date, datetime, timedelta, timezone

import pytest

from engines.dag import (
    DAG,
    EmptyOperator,
    PythonOperator,
    TaskGroup,
    XComArg,
    chain,
    get_current_context,
    task,
)


def test_calls_pass_values_and_make_dependencies(make_scheduler):
    @task
    def extract():
        return [1, 2, 3]

    @task
    def total(rows):
        return sum(rows)

    with DAG("tf") as dag:
        out = total(extract())
    assert isinstance(out, XComArg) and out.operator.task_id == "total"
    assert dag.get_task("total").upstream_task_ids == {"extract"}
    s = make_scheduler(dag)
    run = s.test("tf")
    assert run.state == "success" and s.xcom_pull(run.run_id, "total") == 6


def test_repeated_calls_get_airflows_unique_ids_and_override_renames():
    @task
    def step(x):
        return x

    with DAG("ids") as dag:
        step(1)
        step(2)
        step(3)
        step.override(task_id="named")(4)
    assert dag.task_ids == ["step", "step__1", "step__2", "named"]


def test_expand_maps_over_an_upstream_output_and_the_consumer_gets_the_list(make_scheduler):
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def double(x, factor):
        return x * factor

    @task
    def total(values):
        return sum(values)

    with DAG("map") as dag:
        t = total(double.partial(factor=10).expand(x=numbers()))
    s = make_scheduler(dag)
    run = s.test("map")
    assert sorted(k for k in run.tis if k.startswith("double")) == ["double[0]", "double[1]", "double[2]"]
    assert s.xcom_pull(run.run_id, "total") == 60
    assert t.operator.upstream_task_ids == {"double"}


def test_expand_over_nothing_skips_and_a_cross_product_multiplies(make_scheduler):
    @task
    def empty():
        return []

    @task
    def pair(a, b):
        return f"{a}{b}"

    with DAG("prod") as dag:
        pair.override(task_id="none").expand(a=empty(), b=[1])
        pair.expand(a=["x", "y"], b=[1, 2])
    s = make_scheduler(dag)
    run = s.test("prod")
    assert run.tis["none"].state == "skipped"  # "the map has 0 values to expand"
    assert [s.xcom_pull(run.run_id, "pair", map_index=i) for i in range(4)] == ["x1", "x2", "y1", "y2"]


def test_classic_operator_partial_expand(make_scheduler):
    with DAG("classic") as dag:
        PythonOperator.partial(task_id="add", python_callable=lambda a, b: a + b).expand(op_args=[[1, 2], [3, 4]])
    s = make_scheduler(dag)
    run = s.test("classic")
    assert [s.xcom_pull(run.run_id, "add", map_index=i) for i in (0, 1)] == [3, 7]


def test_a_non_list_output_fails_the_task_a_mapped_task_expands_over(make_scheduler):
    @task
    def scalar():
        return 5

    @task
    def use(x):
        return x

    with DAG("unmappable") as dag:
        use.expand(x=scalar())
    s = make_scheduler(dag)
    run = s.test("unmappable")
    assert run.tis["scalar"].state == "failed" and run.tis["use"].state == "upstream_failed"
    assert any(e.data.get("error") == "UnmappableXComTypePushed" for e in s.trace)


def test_multiple_outputs_pushes_each_key_and_is_inferred_from_a_dict_annotation(make_scheduler):
    @task
    def stats() -> dict[str, int]:
        return {"n": 3, "total": 6}

    @task
    def mean(n, total):
        return total / n

    with DAG("multi") as dag:
        st = stats()
        mean(st["n"], st["total"])
    s = make_scheduler(dag)
    run = s.test("multi")
    assert s.xcom_pull(run.run_id, "stats", key="n") == 3 and s.xcom_pull(run.run_id, "stats") == {"n": 3, "total": 6}
    assert s.xcom_pull(run.run_id, "mean") == 2.0


def test_xcom_keeps_what_airflows_serde_keeps_and_a_big_value_is_advice_not_failure(make_scheduler):
    when = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)

    @task
    def values():
        return {"when": when, "day": date(2026, 1, 2), "tags": {"a", "b"}, "pair": (1, 2), "wait": timedelta(hours=1),
                "blob": "x" * 100_000}

    with DAG("serde") as dag:
        values()
    s = make_scheduler(dag)
    run = s.test("serde")
    v = s.xcom_pull(run.run_id, "values")
    assert run.state == "success"
    assert v["when"] == when and v["tags"] == {"a", "b"} and v["pair"] == (1, 2) and v["wait"] == timedelta(hours=1)
    assert v["day"] == date(2026, 1, 2) and len(v["blob"]) == 100_000
    assert any(e.kind == "XCom is large" and e.severity == "warning" for e in s.trace)


def test_templates_render_ds_params_ti_and_macros(make_scheduler):
    seen = {}
    with DAG("tmpl", params={"region": "eu"}) as dag:
        a = PythonOperator(task_id="a", python_callable=lambda: 41)
        b = PythonOperator(task_id="b", python_callable=lambda text, n: seen.update(text=text, n=n),
                           op_args=["{{ ds }} {{ params.region }} {{ macros.ds_add(ds, 1) }}"],
                           op_kwargs={"n": "{{ ti.xcom_pull(task_ids='a') + 1 }}"})
        a >> b
    s = make_scheduler(dag)
    run = s.test("tmpl", conf={"region": "us"})
    assert run.state == "success"
    assert seen == {"text": f"{run.logical_date:%Y-%m-%d} us {(run.logical_date + timedelta(days=1)):%Y-%m-%d}",
                    "n": "42"}
    assert b.op_args == ["{{ ds }} {{ params.region }} {{ macros.ds_add(ds, 1) }}"]  # the operator is untouched


def test_a_template_error_fails_the_try_and_the_sandbox_holds(make_scheduler):
    with DAG("badtmpl") as dag:
        PythonOperator(task_id="typo", python_callable=print, op_args=["{{ dss }}"])
        PythonOperator(task_id="escape", python_callable=print, op_args=["{{ ().__class__.__mro__ }}"])
    s = make_scheduler(dag)
    run = s.test("badtmpl")
    assert run.tis["typo"].state == "failed" and run.tis["escape"].state == "failed"
    details = " ".join(e.detail for e in s.trace)
    assert "UndefinedError: 'dss' is undefined" in details and "SecurityError" in details


def test_native_rendering_and_get_current_context(make_scheduler):
    got = {}

    def fn(values):
        got["values"] = values
        got["task_id"] = get_current_context()["ti"].task_id

    with DAG("native", render_template_as_native_obj=True) as dag:
        PythonOperator(task_id="n", python_callable=fn, op_args=["{{ [1, 2] }}"])
    s = make_scheduler(dag)
    assert s.test("native").state == "success"
    assert got == {"values": [1, 2], "task_id": "n"}


def test_task_groups_prefix_ids_take_default_args_and_chain_as_a_whole(make_scheduler):
    with DAG("groups") as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("load", default_args={"retries": 2}) as load:
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            a >> b
        end = EmptyOperator(task_id="end")
        chain(start, load, end)
    assert dag.task_ids == ["start", "load.a", "load.b", "end"]
    assert dag.get_task("load.a").retries == 2 and dag.get_task("start").retries == 0
    assert dag.get_task("load.a").upstream_task_ids == {"start"} and dag.get_task("end").upstream_task_ids == {"load.b"}
    assert make_scheduler(dag).test("groups").state == "success"


def test_an_xcomarg_is_not_iterable_at_parse_time():
    @task
    def rows():
        return [1]

    with DAG("iter"):
        out = rows()
        with pytest.raises(TypeError, match="not iterable"):
            list(out)


def test_dag_test_runs_the_dag_as_the_bottom_of_an_airflow_dag_file_does():
    @task
    def hello(params=None):
        return f"hello {params['who']}"

    with DAG("hello", params={"who": "world"}) as dag:
        hello()
    run = dag.test(run_conf={"who": "class"})
    assert run.state == "success" and run.tis["hello"].state == "success"
