"""The requirement catalogue is data of the workloads layer: it loads, and a bad one fails precisely."""

import pytest

from workloads.requirements import (
    CATALOGUE_FILE, RequirementError, catalogue, parse_catalogue, requirement,
)

ONE = """[[requirement]]
key = "k_one"
scene = "07"
label = "chip"
term = "durable timer"
toward = ["replay"]
when_absent = "fine"

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
    assert found["k_one"].on_engine["dag"] == "b" and found["k_one"].never == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('statemachine = "c"\n', ""), r"^x\.toml:1: on_engine: .*\(missing statemachine\)$"),
        (('toward = ["replay"]', 'toward = ["airflow"]'), r"^x\.toml:1: toward\.0: "),
        (('toward = ["replay"]', 'toward = ["dag"]\nnever = ["dag"]'), r"^x\.toml:1: never: an engine cannot be both"),
        (('scene = "07"', 'scene = "13"'), r"^x\.toml:1: scene: "),
        (('label = "chip"\n', ""), r"^x\.toml:1: label: missing required field$"),
        (('term = "durable timer"', 'term = "durable timer"\ncolour = 1'), r"^x\.toml:1: colour: unknown field$"),
        (('key = "k_one"', 'key = "k_one'), r"^x\.toml: not valid TOML"),
    ],
)
def test_a_bad_entry_names_file_line_and_field(change, expected):
    old, new = change
    assert old in ONE
    with pytest.raises(RequirementError, match=expected):
        parse_catalogue(ONE.replace(old, new, 1), "x.toml")


def test_a_repeated_key_names_the_second_entry():
    with pytest.raises(RequirementError, match=r"^x\.toml:14: key: 'k_one' is already in the catalogue$"):
        parse_catalogue(ONE + "\n" + ONE, "x.toml")


def test_an_unknown_key_suggests_the_near_one():
    with pytest.raises(RequirementError, match=r"long_wiat: unknown requirement key \(did you mean long_wait\?\)"):
        requirement("long_wiat")
