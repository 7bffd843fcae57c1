"""Each of the 18 intrinsic functions, with the AWS documentation's own examples."""

import json

import pytest

from tests.statemachine.helpers import machine, run

CASES = [
    ("States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"}, "Hello, my name is Arnav."),
    ("States.StringToJson($.s)", {"s": "{\"number\": 20}"}, {"number": 20}),
    ("States.JsonToString($.o)", {"o": {"a": 1, "b": [1, 2]}}, '{"a":1,"b":[1,2]}'),
    ("States.Array('Foo', 2020, $.x, 120)", {"x": "bar"}, ["Foo", 2020, "bar", 120]),
    ("States.ArrayPartition($.a, 4)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayContains($.a, $.v)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "v": 5}, True),
    ("States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
    ("States.ArrayGetItem($.a, $.i)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "i": 5}, 6),
    ("States.ArrayLength($.a)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, 9),
    ("States.ArrayUnique($.a)", {"a": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4]),
    ("States.Base64Encode($.s)", {"s": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode($.s)", {"s": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),
    ("States.Hash($.s, 'SHA-1')", {"s": "input data"}, "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("States.JsonMerge($.a, $.b, false)", {"a": {"a": 1, "n": {"x": 1}}, "b": {"n": {"y": 2}}}, {"a": 1, "n": {"y": 2}}),
    ("States.MathAdd($.v, -1)", {"v": 111}, 110),
    ("States.StringSplit($.s, ',')", {"s": "1,2,3,4,5"}, ["1", "2", "3", "4", "5"]),
    ("States.StringSplit($.s, '.+,=')", {"s": "This.is+a,test=string"}, ["This", "is", "a", "test", "string"]),
    ("States.Format('{} {}', States.ArrayLength($.a), 'x')", {"a": [1, 2]}, "2 x"),
    ("States.Format('esc \\\\{\\\\} {}', 'ok')", {}, "esc {} ok"),
]


@pytest.mark.parametrize("expr,data,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_intrinsic(expr, data, expected):
    r = run(machine(P={"Type": "Pass", "Parameters": {"r.$": expr}, "End": True}), data)
    assert r.status == "SUCCEEDED", r.cause
    assert r.output == {"r": expected}


def test_random_and_uuid():
    r = run(machine(P={"Type": "Pass", "Parameters": {"n.$": "States.MathRandom(1, 999)", "u.$": "States.UUID()",
                                                      "s.$": "States.MathRandom(1, 999, 1234)"}, "End": True}))
    assert 1 <= r.output["n"] <= 999 and len(r.output["u"]) == 36
    again = run(machine(P={"Type": "Pass", "Parameters": {"s.$": "States.MathRandom(1, 999, 1234)"}, "End": True}))
    assert again.output["s"] == r.output["s"]


def test_intrinsic_failure_is_catchable():
    d = machine(P={"Type": "Pass", "Parameters": {"r.$": "States.JsonMerge($.a, $.a, true)"}, "End": True})
    r = run(d, {"a": {}})
    assert r.status == "FAILED" and r.error == "States.Runtime"  # IntrinsicFailure is "reserved": concepts-error-handling.html
    assert json.dumps(r.cause)
