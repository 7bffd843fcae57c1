"""The Distributed Map's fields run locally (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html),
and what is not simulated is said in a warning naming the field."""

from __future__ import annotations

import json

from app.cli.main import main
from engines.statemachine import Resources, TaskFailed
from engines.statemachine.distributed import warnings
from tests.statemachine.helpers import LAMBDA, machine, run

DISTRIBUTED = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}


def _map(processor_states: dict, start: str, **fields) -> dict:
    return machine(M={"Type": "Map", "End": True, **fields,
                      "ItemProcessor": {**DISTRIBUTED, "StartAt": start, "States": processor_states}})


ECHO = {"E": {"Type": "Pass", "End": True}}


def test_item_batcher_max_concurrency_path_and_map_run_events():
    d = _map(ECHO, "E", ItemsPath="$.xs", MaxConcurrencyPath="$.limit",
             ItemSelector={"x.$": "$$.Map.Item.Value"},
             ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"job": "j1"}})
    r = run(d, {"xs": [1, 2, 3, 4, 5], "limit": 2})
    assert r.status == "SUCCEEDED"
    # "ItemBatcher": each child gets {"BatchInput": …, "Items": [...]}, items shaped by ItemSelector first
    assert r.output == [{"BatchInput": {"job": "j1"}, "Items": [{"x": 1}, {"x": 2}]},
                        {"BatchInput": {"job": "j1"}, "Items": [{"x": 3}, {"x": 4}]},
                        {"BatchInput": {"job": "j1"}, "Items": [{"x": 5}]}]
    assert r.events[:4] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted"]
    assert r.events[-4:] == ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


def test_tolerated_failure_count_path():
    def odd_fails(p, c):
        if p % 2:
            raise TaskFailed("Odd", str(p))
        return p

    proc = {"T": {"Type": "Task", "Resource": LAMBDA + "F", "End": True}}
    d = _map(proc, "T", ItemsPath="$.xs", ToleratedFailureCountPath="$.ok")
    r = run(d, {"xs": [1, 2, 3, 4], "ok": 2}, Resources().register("F", odd_fails))
    assert r.status == "SUCCEEDED" and r.output[1] == 2 and r.output[0]["Error"] == "Odd"
    r = run(d, {"xs": [1, 2, 3, 4], "ok": 1}, Resources().register("F", odd_fails))
    assert (r.status, r.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert "MapRunFailed" in r.events


def test_item_reader_and_result_writer_through_local_resources():
    written = {}
    csv_text = "id,name\n1,ann\n2,bob\n"
    res = (Resources().register("s3:getObject", lambda p, c: csv_text if p == {"Bucket": "b", "Key": "k.csv"} else None)
           .register("s3:putObject", lambda p, c: written.update(p)))
    d = _map(ECHO, "E", ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                                    "Parameters": {"Bucket": "b", "Key": "k.csv"}},
             ResultWriter={"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "runs"}})
    r = run(d, {}, res)
    assert r.status == "SUCCEEDED"
    assert written["Results"] == [{"id": "1", "name": "ann"}, {"id": "2", "name": "bob"}]
    assert r.output["ResultWriterDetails"]["Bucket"] == "out" and r.output["MapRunArn"].startswith("arn:aws:states:")
    # nothing bound: the Map fails as AWS names it, saying what to bind
    r = run(d, {})
    assert (r.status, r.error) == ("FAILED", "States.ItemReaderFailed") and "s3:getObject" in r.cause


def test_what_is_not_simulated_is_a_warning_naming_the_field(tmp_path, capsys):
    d = _map(ECHO, "E", ItemReader={"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}})
    found = warnings(d)
    assert any("'ItemProcessor.ProcessorConfig.Mode' DISTRIBUTED" in w for w in found)
    assert any("field 'ItemReader'" in w and "'s3:getObject'" in w for w in found)
    f = tmp_path / "d.json"
    f.write_text(json.dumps(d))
    assert main(["asl", "validate", str(f)]) == 0
    err = capsys.readouterr().err
    assert "WARNING: state 'M': field 'ItemReader'" in err and "WARNING: state 'M': field 'ItemProcessor" in err
    main(["asl", "run", str(f)])
    assert "WARNING: state 'M': field 'ItemReader'" in capsys.readouterr().err
    assert warnings(machine(P={"Type": "Pass", "End": True})) == []
