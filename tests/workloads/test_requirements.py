"""The requirement catalogue is data of the workloads layer: it loads, and a bad one fails precisely."""

import pytest

from workloads.requirements import (
    CATALOGUE_FILE, Grade, RequirementError, catalogue, describe_duration, parse_catalogue, parse_duration, requirement,
)

ONE = """[[requirement]]
key = "k_one"
scene = "07"
label = "chip"
term = "durable timer"
when_absent = "fine"

[requirement.grade]
replay = "serves"
dag = "cannot"
statemachine = "limited"

[requirement.on_engine]
replay = "a"
dag = "b"
statemachine = "c"
"""


def test_the_bundled_catalogue_is_in_course_order_and_cites_scene_six_and_a_half():
    keys = list(catalogue())
    scenes = [requirement(k).scene for k in keys]
    assert scenes == sorted(scenes)  # "06" < "06a" < "07": course order
    assert requirement("exactly_once_effects").scene_display == "6.5"
    assert parse_catalogue(CATALOGUE_FILE.read_text(encoding="utf-8")) == catalogue()


def test_a_good_entry_parses():
    found = parse_catalogue(ONE, "x.toml")
    assert found["k_one"].on_engine["dag"] == "b" and found["k_one"].toward == ["replay"]
    assert found["k_one"].graded("dag") == (Grade.CANNOT, "b") and not found["k_one"].hard


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('statemachine = "c"\n', ""), r"^x\.toml:1: on_engine: .*\(missing statemachine\)$"),
        (('dag = "cannot"', 'dag = "maybe"'), r"^x\.toml:1: grade\.dag: "),
        (('dag = "cannot"\n', ""), r"^x\.toml:1: grade: needs a grade .* for dag"),
        (('when_absent = "fine"', 'when_absent = "fine"\ndecisive_beyond = "7d"'), r"^x\.toml:1: decisive_beyond: only a measure"),
        (('when_absent = "fine"', 'when_absent = "fine"\nmeasure = "duration"\ndecisive_beyond = "7 days"'),
         r"^x\.toml:1: decisive_beyond: expected a duration"),
        (('scene = "07"', 'scene = "13"'), r"^x\.toml:1: scene: "),
        (('label = "chip"\n', ""), r"^x\.toml:1: label: missing required field$"),
        (('when_absent = "fine"', 'when_absent = "fine"\ncolour = 1'), r"^x\.toml:1: colour: unknown field$"),
        (('key = "k_one"', 'key = "k_one'), r"^x\.toml: not valid TOML"),
    ],
)
def test_a_bad_entry_names_file_line_and_field(change, expected):
    old, new = change
    assert old in ONE
    with pytest.raises(RequirementError, match=expected):
        parse_catalogue(ONE.replace(old, new, 1), "x.toml")


def test_a_repeated_key_names_the_second_entry():
    with pytest.raises(RequirementError, match=r"^x\.toml:18: key: 'k_one' is already in the catalogue$"):
        parse_catalogue(ONE + "\n" + ONE, "x.toml")


def test_an_unknown_key_suggests_the_near_one():
    with pytest.raises(RequirementError, match=r"long_wiat: unknown requirement key \(did you mean long_wait\?\)"):
        requirement("long_wiat")


WHEN = """
[[requirement.when]]
engine = "dag"
{test}
grade = "serves"
why = "d"
"""


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ('longer_than = "7d"\nalso = "k_one"', r"^x\.toml:1: when: each condition needs exactly one of"),
        ('longer_than = "a week"', r"^x\.toml:1: when: longer_than: expected a duration"),
        ('also = "k_two"', r"^x\.toml:1: when: also: 'k_two' is not a requirement key"),
    ],
)
def test_a_bad_condition_names_file_line_and_field(test, expected):
    with pytest.raises(RequirementError, match=expected):
        parse_catalogue(ONE + WHEN.format(test=test), "x.toml")


def test_conditions_grade_a_wait_by_its_length_and_a_bare_true_as_longer_than_a_week():
    wait = requirement("long_wait")
    day, year = 86400, 365 * 86400
    assert [wait.graded("dag", a)[0] for a in (3 * day, 7 * day, 8 * day, None)] == [
        Grade.LIMITED, Grade.LIMITED, Grade.CANNOT, Grade.CANNOT]
    assert [wait.graded("statemachine", a)[0] for a in (day, year, 2 * year, None)] == [
        Grade.SERVES, Grade.SERVES, Grade.CANNOT, Grade.LIMITED]
    assert {wait.graded("replay", a)[0] for a in (day, 2 * year, None)} == {Grade.SERVES}
    signals = requirement("signals")
    assert signals.graded("dag", None, {"signals"})[0] is Grade.LIMITED
    assert signals.graded("dag", None, {"signals", "compensation", "batch_dag"})[0] is Grade.CANNOT
    assert signals.graded("dag", None, {"signals", "batch_dag"})[0] is Grade.SERVES


def test_durations_parse_in_the_units_of_the_brief_and_read_back_in_words():
    assert [parse_duration(t) for t in ("30s", "2m", "1h", "3d", "1w", "1y", "1.5d")] == [
        30, 120, 3600, 259200, 604800, 31536000, 129600]
    for bad in ("3", "3 days", "-1d", "0d", "1e9y", "101y", ""):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert describe_duration(30 * 86400) == "30 days" and describe_duration(3600) == "1 hour"
    assert describe_duration(2 * 365 * 86400) == "2 years"
