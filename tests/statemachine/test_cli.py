"""`workflow-canvas asl validate|run` as a script would use it."""

import json

from app.cli.main import main

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def test_validate_ok_and_bad(tmp_path, capsys):
    good = write(tmp_path, "g.json", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    assert main(["asl", "validate", str(good)]) == 0
    bad = write(tmp_path, "b.json", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}})
    assert main(["asl", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "state 'A': field 'Next' names 'Gone'" in err and "Traceback" not in err


def test_run_json_with_retries_callback_and_waits(tmp_path, capsys):
    d = {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": LAMBDA + "Charge", "Retry": [{"ErrorEquals": ["E503"]}], "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 86400, "Next": "Ask"},
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"token.$": "$$.Task.Token"}}, "End": True}}}
    res = {"Charge": [{"Throw": {"Error": "E503", "Cause": "sick"}}, {"Throw": {"Error": "E503", "Cause": "sick"}},
                      {"Return": {"charged": True}}],
           "Ask": {"Callback": {"Success": {"approved": True}}, "DelaySeconds": 60}}
    rc = main(["asl", "run", str(write(tmp_path, "d.json", d)), "--input", '{"a": 1}',
               "--resources", str(write(tmp_path, "r.json", res)), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["status"] == "SUCCEEDED" and out["output"] == {"approved": True}
    assert out["retry_delays"] == [1, 2] and out["waits"] == [86400]
    assert out["events"][-3:] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_run_stop_after_and_failure(tmp_path, capsys):
    d = write(tmp_path, "w.json", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}})
    assert main(["asl", "run", str(d), "--stop-after", "5", "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "ABORTED" and out["events"] == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    f = write(tmp_path, "f.json", {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA + "X", "End": True}}})
    r = write(tmp_path, "r.json", {"X": {"Throw": {"Error": "Bad", "Cause": "c"}}})
    assert main(["asl", "run", str(f), "--resources", str(r), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Bad", "c")


def test_bad_resources_file_is_one_line_error(tmp_path, capsys):
    d = write(tmp_path, "d.json", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    r = write(tmp_path, "r.json", {"X": [{"Retrun": 1}]})
    assert main(["asl", "run", str(d), "--resources", str(r)]) == 1
    assert "'X' response 0" in capsys.readouterr().err
