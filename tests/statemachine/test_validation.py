"""Bad definitions get precise messages (state, field) and never a traceback."""

import pytest

from engines.statemachine import DefinitionError, load_definition, validate


def problems(states: dict, start: str = "A", **top) -> list[str]:
    return validate({"StartAt": start, "States": states, **top})


def test_unknown_next_unreachable_and_missing_end():
    p = problems({"A": {"Type": "Pass", "Next": "Nowhere"}, "B": {"Type": "Pass", "End": True}, "C": {"Type": "Pass"}})
    assert "state 'A': field 'Next' names 'Nowhere', which is not a state in this scope" in p
    assert 'state \'C\': needs Next or "End": true' in p
    # the typo is the one problem: B, which 'Nowhere' presumably meant, is not reported unreachable as well
    assert not any("not reachable" in x for x in p)
    p = problems({"A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True}})
    assert p == ["state 'B': is not reachable from StartAt 'A'"]


def test_wait_with_two_durations_and_states_all_placement():
    p = problems({"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "Next": "T"},
                  "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:F", "End": True,
                        "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}],
                        "Catch": [{"ErrorEquals": ["States.ALL", "Y"], "Next": "T"}]}})
    assert any("exactly one of Seconds" in x and "Seconds, SecondsPath" in x for x in p)
    assert "state 'T': Retry[0] ErrorEquals: States.ALL must be in the last retrier" in p
    assert "state 'T': Catch[0] ErrorEquals: States.ALL must be alone in its list" in p


def test_bad_paths_intrinsics_and_types():
    p = problems({"A": {"Type": "Pass", "ResultPath": "$.items.length()", "InputPath": "$[",
                        "Parameters": {"x.$": "States.Nope(1)"}, "Next": "B"},
                  "B": {"Type": "Bogus", "End": True}})
    assert any("field 'ResultPath'" in x and "not a reference path" in x for x in p)
    assert any("field 'InputPath'" in x for x in p)
    assert any("unknown intrinsic function States.Nope" in x for x in p)
    assert any("state 'B': Type must be one of" in x for x in p)


def test_nested_branches_are_checked_with_their_path_and_jsonata_fields():
    p = problems({"A": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}]}})
    assert "state 'A.Branches[0].X': field 'Next' names 'Y', which is not a state in this scope" in p
    p2 = problems({"A": {"Type": "Pass", "InputPath": "$.a", "Output": "{% $x + %}", "End": True}}, QueryLanguage="JSONata")
    assert any("'InputPath' is JSONPath-only" in x for x in p2)
    assert any("cannot parse JSONata" in x for x in p2)


def test_load_definition_reports_json_position_and_lists_all():
    with pytest.raises(DefinitionError, match=r"line 1, column 2"):
        load_definition("{x}", name="bad.json")
    with pytest.raises(DefinitionError) as exc:
        load_definition({"StartAt": "Z", "States": {"A": {"Type": "Succeed"}}})
    assert "StartAt 'Z' is not a state" in str(exc.value)


def test_a_map_needs_exactly_one_item_processor():
    proc = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    assert "state 'M': needs exactly one of ItemProcessor or Iterator" in problems({"M": {"Type": "Map", "End": True}}, "M")
    both = problems({"M": {"Type": "Map", "End": True, "ItemProcessor": proc, "Iterator": proc}}, "M")
    assert "state 'M': needs exactly one of ItemProcessor or Iterator" in both
    assert problems({"M": {"Type": "Map", "End": True, "Iterator": proc}}, "M") == []
