"""`workflow-canvas replay …` and `workflow-canvas ledger` end to end (in-process main)."""

import json

from app.cli.main import main


def test_start_worker_signal_query_show_list_ledger(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    assert main(["replay", "start", "order", "--id", "order-1001", "--db", db]) == 0
    assert main(["replay", "worker", "--db", db, "--skip-time", "--until-idle", "--max-tasks", "4", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["replay", "query", "order-1001", "getOrderStatus", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["step"].startswith("waiting")
    assert main(["replay", "signal", "order-1001", "cancelOrder", "--payload", '{"why": "x"}', "--db", db]) == 0
    assert main(["replay", "worker", "--db", db, "--skip-time", "--until-idle"]) == 0
    out = capsys.readouterr().out
    assert "RefundCard" in out
    assert main(["replay", "show", "order-1001", "--json", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "Completed" and shown["result"]["status"] == "cancelled"
    assert shown["history"][0]["type"] == "WorkflowExecutionStarted"
    assert main(["replay", "show", "order-1001", "--db", db]) == 0
    assert "history:" in capsys.readouterr().out
    assert main(["replay", "list", "--db", db]) == 0
    assert "order-1001" in capsys.readouterr().out
    assert main(["ledger", "--json", "--db", db]) == 0
    led = json.loads(capsys.readouterr().out)
    assert led["statement_cents"] == 0 and led["counts"]["refunded_cents"] == 4200
    assert {e["idempotency_key"] for e in led["entries"] if e["kind"] == "charge"} == {"order-1001-charge"}


def test_cancel_command(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    main(["replay", "start", "order", "--id", "order-1001", "--db", db])
    main(["replay", "worker", "--db", db, "--skip-time", "--until-idle", "--max-tasks", "4", "--quiet"])
    assert main(["replay", "cancel", "order-1001", "--db", db]) == 0
    main(["replay", "worker", "--db", db, "--skip-time", "--until-idle", "--quiet"])
    capsys.readouterr()
    main(["replay", "show", "order-1001", "--json", "--db", db])
    assert json.loads(capsys.readouterr().out)["status"] == "Canceled"


def test_errors_are_one_line_and_non_zero(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    assert main(["replay", "show", "x", "--db", db]) == 1
    assert main(["replay", "start", "nope", "--id", "x", "--db", db]) == 1
    assert main(["replay", "start", "order", "--id", "x", "--input", "{bad", "--db", db]) == 1
    main(["replay", "start", "order", "--id", "a", "--db", db])
    assert main(["replay", "start", "order", "--id", "a", "--db", db]) == 1
    assert main(["replay", "signal", "missing", "cancelOrder", "--db", db]) == 1
    assert main(["replay", "query", "a", "nope", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "unknown workflow 'nope'" in err and "--input: not valid JSON" in err and "already running" in err
    assert all(line.startswith("workflow-canvas: error:") for line in err.strip().splitlines())


def test_default_db_is_shown_in_help(capsys):
    try:
        main(["replay", "worker", "--help"])
    except SystemExit:
        pass
    assert "replay.db" in capsys.readouterr().out.replace("\n", "")
