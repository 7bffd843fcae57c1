import json

from app.cli.main import main


def test_dag_list(capsys):
    assert main(["dag", "list"]) == 0
    out = capsys.readouterr().out
    assert "nightly_etl" in out and "order_1001" in out


def test_dag_test_prints_the_grid(capsys):
    assert main(["dag", "test", "nightly_etl", "--scenario", "flaky-transform"]) == 0
    out = capsys.readouterr().out
    assert "success" in out and "up_for_retry" in out and "transform" in out


def test_dag_test_json_for_the_order(capsys):
    assert main(["dag", "test", "order_1001", "--json", "--sensor-timeout-days", "30"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_state"] == "success"
    assert [r["task_id"] for r in data["grid"]] == ["charge", "reserve", "wait_30_days", "ship", "email"]
    assert data["outcome"]["shipped"] == 1


def test_dag_test_failing_run_exits_1_and_unknown_dag_is_one_line(capsys):
    assert main(["dag", "test", "order_1001"]) == 1
    assert "timed out on day 7" in capsys.readouterr().out
    assert main(["dag", "test", "nope"]) == 1
    assert "no DAG 'nope'" in capsys.readouterr().err
