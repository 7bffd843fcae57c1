"""Write the hostile-file corpus in tests/fuzz/corpus/ (checked in; run again only to change it).

    .venv/bin/python -m tests.fuzz.make_corpus

Each file is one way a person (or a broken tool) hands the commands something they must refuse
with one clear line, or run within bounds. Files that must be made at test time (a FIFO, a
10 MB one-line story, a 100,000-item Map input, database files) are made by the tests, not stored here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CORPUS = Path(__file__).with_name("corpus")

CARD = """id = "hostile"
letter = "H"
title = "{title}"
story = "{story}"
{extra}
[chips]
long_wait = {long_wait}
signals = true
"""


def card(title: str = "A hostile card", story: str = "Someone wrote this card.", long_wait: str = "true",
         extra: str = "") -> str:
    return CARD.format(title=title, story=story, long_wait=long_wait, extra=extra)


def definition(states: dict, start: str, **top) -> str:
    return json.dumps({"StartAt": start, "States": states, **top}, indent=1, ensure_ascii=False)


def files() -> dict[str, bytes]:
    rng = random.Random(17)
    out: dict[str, bytes] = {}
    binary = bytes(rng.randrange(256) for _ in range(4096))
    # --- cards ------------------------------------------------------------------------------------
    out["card-binary.toml"] = binary
    out["card-latin1.toml"] = card(title="Caf\u00e9 orders").encode("latin-1")
    out["card-utf16.toml"] = card().encode("utf-16")
    out["card-nul.toml"] = card(title="nul\x00here").encode()
    out["card-escaped-nul.toml"] = card(title="nul\\u0000here").encode()  # a TOML escape for NUL
    out["card-deep-arrays.toml"] = card(extra="deep = " + "[" * 20000 + "]" * 20000).encode()
    out["card-deep-tables.toml"] = card(extra="deep = " + "{a = " * 5000 + "1" + "}" * 5000).encode()
    out["card-deep-dotted.toml"] = (card() + "[" + ".".join(["a"] * 20000) + "]\n").encode()
    out["card-huge-number.toml"] = card(long_wait="1e400").encode()
    out["card-huge-int.toml"] = card(long_wait="9" * 400).encode()
    out["card-huge-duration.toml"] = card(long_wait='"99999999999999999999999y"').encode()
    out["card-nan.toml"] = card(long_wait="nan").encode()
    out["card-unknown-workload.toml"] = card(extra='workload = "no-such-workload"').encode()
    out["card-empty-weight.toml"] = card(long_wait='""').encode()
    out["card-empty.toml"] = b""
    out["card-bad-toml.toml"] = b'id = "x\nletter = \n[chips\n'
    out["card-control-chars.toml"] = card(title="bell\\u0007 and escape\\u001b[31m").encode()
    # --- ASL definitions ----------------------------------------------------------------------------
    ok = {"Done": {"Type": "Pass", "End": True}}
    out["asl-binary.json"] = binary
    out["asl-latin1.json"] = definition({"Caf\u00e9": {"Type": "Pass", "End": True}}, "Caf\u00e9").encode("latin-1")
    out["asl-utf16.json"] = definition(ok, "Done").encode("utf-16")
    out["asl-nul.json"] = definition(ok, "Done").replace('"Done"', '"Do\x00ne"').encode()
    out["asl-escaped-nul.json"] = json.dumps({"StartAt": "Do\x00ne", "States": {"Do\x00ne": {"Type": "Pass", "End": True}}}).encode()
    out["asl-deep.json"] = b'{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": ' + \
        b"[" * 50000 + b"]" * 50000 + b', "End": true}}}'
    out["asl-huge-number.json"] = definition({"W": {"Type": "Wait", "Seconds": 1, "End": True}}, "W").replace(
        '"Seconds": 1', '"Seconds": 1e400').encode()
    out["asl-wait-2p70.json"] = definition({"W": {"Type": "Wait", "Seconds": 2 ** 70, "End": True}}, "W").encode()
    out["asl-wait-string.json"] = definition({"W": {"Type": "Wait", "Seconds": "10", "End": True}}, "W").encode()
    out["asl-wait-seconds-path.json"] = definition(
        {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}, "W").encode()
    out["asl-wait-timestamp-path.json"] = definition(
        {"W": {"Type": "Wait", "TimestampPath": "$.t", "End": True}}, "W").encode()
    out["asl-loop.json"] = definition({
        "Spin": {"Type": "Pass", "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Out"}],
                  "Default": "Spin"},
        "Out": {"Type": "Succeed"}}, "Spin").encode()
    out["asl-retry-forever.json"] = definition({
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Flaky",
                 "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 0, "MaxAttempts": 99999999,
                            "BackoffRate": 1}], "End": True}}, "Call").encode()
    out["asl-retry-many.json"] = definition({
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Flaky",
                 "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 99999999,
                            "BackoffRate": 1}], "End": True}}, "Call").encode()
    out["asl-task.json"] = definition({
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Flaky", "End": True}},
        "Call").encode()
    out["asl-retry-overflow.json"] = definition({
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Flaky",
                 "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 99999999, "MaxAttempts": 40,
                            "BackoffRate": 10}], "End": True}}, "Call").encode()
    out["asl-map-100k.json"] = definition({
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
                 "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                 "End": True}}, "Each").encode()
    out["asl-jsonata-recursion.json"] = definition({
        "Go": {"Type": "Pass", "Output": "{% ($f := function($x) { $f($x) + 1 }; $f(1)) %}", "End": True}},
        "Go", QueryLanguage="JSONata").encode()
    out["asl-jsonata-tail-loop.json"] = definition({
        "Go": {"Type": "Pass", "Output": "{% ($f := function($x) { $f($x) }; $f(1)) %}", "End": True}},
        "Go", QueryLanguage="JSONata").encode()
    out["asl-jsonata-regex.json"] = definition({
        "Go": {"Type": "Pass", "Output": "{% $contains($states.input.s, /^(a+)+$/) %}", "End": True}},
        "Go", QueryLanguage="JSONata").encode()
    out["asl-not-object.json"] = b"[1, 2, 3]"
    out["asl-empty.json"] = b""
    # --- run inputs and resources -------------------------------------------------------------------
    out["input-seconds-huge.json"] = b'{"s": 1e300}'
    out["input-seconds-nan.json"] = b'{"s": NaN}'
    out["input-seconds-inf.json"] = b'{"s": Infinity}'
    out["input-timestamp-bad.json"] = b'{"t": "9999-99-99T99:99:99Z"}'
    out["input-regex.json"] = json.dumps({"s": "a" * 40 + "!"}).encode()
    out["input-deep.json"] = b"[" * 50000 + b"]" * 50000
    out["input-binary.json"] = binary
    out["resources-delay-inf.json"] = b'{"Flaky": {"Return": 1, "DelaySeconds": 1e400}}'
    out["resources-delay-huge.json"] = b'{"Flaky": {"Return": 1, "DelaySeconds": 1e300}}'
    out["resources-throw.json"] = b'{"Flaky": {"Throw": {"Error": "Boom", "Cause": "always"}}}'
    out["resources-utf16.json"] = '{"Flaky": {"Return": 1}}'.encode("utf-16")
    # --- database files -----------------------------------------------------------------------------
    out["db-not-sqlite.db"] = b"These are my notes, not a database.\n" * 40
    out["db-truncated-header.db"] = b"SQLite format 3\x00" + bytes(40)
    return out


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, data in sorted(files().items()):
        (CORPUS / name).write_bytes(data)
    print(f"{len(files())} files in {CORPUS}")


if __name__ == "__main__":
    main()
