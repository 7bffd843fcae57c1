"""Choice: every comparator family, Path variants, wildcards, And/Or/Not, NoChoiceMatched."""

import pytest

from tests.statemachine.helpers import machine, run


def choose(rule: dict, data) -> str:
    d = machine(C={"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
                Yes={"Type": "Pass", "Result": "yes", "End": True}, No={"Type": "Pass", "Result": "no", "End": True})
    return run(d, data).output


@pytest.mark.parametrize("rule,data,want", [
    ({"Variable": "$.n", "NumericEquals": 3}, {"n": 3}, "yes"),
    ({"Variable": "$.n", "NumericEquals": 3}, {"n": "3"}, "no"),
    ({"Variable": "$.n", "NumericGreaterThanPath": "$.m"}, {"n": 4, "m": 3}, "yes"),
    ({"Variable": "$.n", "NumericLessThanEquals": 3}, {"n": 3}, "yes"),
    ({"Variable": "$.s", "StringEquals": "a"}, {"s": "a"}, "yes"),
    ({"Variable": "$.s", "StringLessThan": "b"}, {"s": "a"}, "yes"),
    ({"Variable": "$.s", "StringMatches": "log-*.txt"}, {"s": "log-2026.txt"}, "yes"),
    ({"Variable": "$.s", "StringMatches": "a\\*b"}, {"s": "a*b"}, "yes"),
    ({"Variable": "$.s", "StringMatches": "a\\*b"}, {"s": "axxb"}, "no"),
    ({"Variable": "$.b", "BooleanEquals": True}, {"b": True}, "yes"),
    ({"Variable": "$.b", "BooleanEqualsPath": "$.c"}, {"b": False, "c": False}, "yes"),
    ({"Variable": "$.t", "TimestampGreaterThan": "2026-01-01T00:00:00Z"}, {"t": "2026-02-01T00:00:00Z"}, "yes"),
    ({"Variable": "$.t", "TimestampEqualsPath": "$.u"}, {"t": "2026-01-01T00:00:00Z", "u": "2026-01-01T00:00:00+00:00"}, "yes"),
    ({"Variable": "$.x", "IsPresent": False}, {}, "yes"),
    ({"Variable": "$.x", "IsNull": True}, {"x": None}, "yes"),
    ({"Variable": "$.x", "IsNumeric": True}, {"x": True}, "no"),
    ({"Variable": "$.x", "IsString": True}, {"x": "s"}, "yes"),
    ({"Variable": "$.x", "IsBoolean": True}, {"x": False}, "yes"),
    ({"Variable": "$.x", "IsTimestamp": True}, {"x": "2026-01-01T00:00:00Z"}, "yes"),
    ({"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 20}, {"Variable": "$.n", "NumericLessThan": 30}]}, {"n": 25}, "yes"),
    ({"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.n", "NumericEquals": 2}]}, {"n": 3}, "no"),
    ({"Not": {"Variable": "$.type", "StringEquals": "Private"}}, {"type": "Public"}, "yes"),
])
def test_comparators(rule, data, want):
    assert choose(rule, data) == want


def test_no_choice_matched_fails_the_execution():
    d = machine(C={"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "E"}]}, E={"Type": "Succeed"})
    r = run(d, {"n": 2})
    assert r.status == "FAILED" and r.error == "States.Runtime"  # NoChoiceMatched is "reserved": concepts-error-handling.html
    assert r.events == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]
