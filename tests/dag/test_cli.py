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


def test_dag_test_bounds_day_and_sensor_timeout_with_one_line(capsys):
    # issue 17: nan, inf, 1e308 and -1 were tracebacks (OverflowError / ValueError)
    import pytest

    for flag in ("--day", "--sensor-timeout-days"):
        for value in ("nan", "inf", "1e308", "-1"):
            with pytest.raises(SystemExit) as exit_:
                main(["dag", "test", "order_1001", flag, value])
            assert exit_.value.code == 2
            err = capsys.readouterr().err.strip().splitlines()[-1]
            assert f"argument {flag}:" in err and ("finite" in err or "out of range" in err), err
            assert "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["dag", "test", "order_1001", "--scenario", ""])
    assert "must not be empty" in capsys.readouterr().err


def test_dag_test_refuses_another_engines_database_and_leaves_it_untouched(tmp_path, capsys):
    from engines.store import open_store

    db = tmp_path / "replay.db"
    open_store(db, "replay", 1, "CREATE TABLE workflow (id TEXT PRIMARY KEY);").close()
    before = db.read_bytes()
    assert main(["dag", "test", "nightly_etl", "--db", str(db)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(db) in err
    assert db.read_bytes() == before
