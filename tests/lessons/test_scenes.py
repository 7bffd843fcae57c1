"""The course's scene files: every one parses, carries every field, and bad ones fail precisely."""

from pathlib import Path

import pytest

from workloads.requirements import catalogue, requirement
from engines.trace import ENGINES
from lessons.scenes import SCENE_NUMBERS, SceneError, all_scenes, get_scene, load_scene

STEP_NAMES = ("ChargeCard", "ReserveInventory", "ShipPackage", "SendConfirmationEmail")
# The requirement table of SCENES.md (key → scene that teaches it).
SCENES_MD_KEYS = {
    "crash_survival": "01", "long_running_stateful": "02", "side_effects": "04", "retries": "06",
    "exactly_once_effects": "06a", "long_wait": "07", "signals": "08", "queries": "08",
    "compensation": "09", "fan_out": "10", "unbounded": "10", "evolves_in_flight": "11",
    "batch_dag": "12", "scheduled": "12", "cloud_native": "12", "declarative": "12",
}
# Each scene's knobs, as issue 7 lists them.
KNOBS = {
    "01": {"crash_after_charge"}, "02": {"crash"}, "03": {"inject_random"}, "04": {"classify_step"},
    "05": {"live_workers"},
    "06": {"initial_interval_s", "backoff_coefficient", "maximum_interval_s", "maximum_attempts",
           "backlog_s", "card_declined"},
    "06a": {"idempotency_key", "crash_in_window"}, "07": {"crashes_during_wait", "wait_with"},
    "08": {"action"}, "09": {"failure_point"}, "10": {"fail_one_child", "continue_as_new"},
    "11": {"version_gate"}, "12": {"card"},
}


def test_thirteen_scenes_in_course_order_with_every_field():
    scenes = all_scenes()
    assert [s.number for s in scenes] == list(SCENE_NUMBERS)
    for s in scenes:
        assert s.title and s.summary and s.terms and s.knobs, s.number
        assert "\n" not in s.summary
        assert s.path.name.startswith(f"{s.number}-")
        assert {k.name for k in s.knobs} == KNOBS[s.number]
        assert s.display == ("6.5" if s.number == "06a" else s.number)


def test_bodies_are_plain_length_and_use_the_orders_step_names():
    for s in all_scenes():
        words = len(s.body.split())
        assert 300 <= words <= 600, (s.number, words)
        assert "1001" in s.body, s.number
        assert "Next" in s.body or s.number == "12", s.number  # the bridge to the next scene
        for wrong in ("SendEmail", "EmailReceipt"):
            assert wrong not in s.body, (s.number, wrong)
    whole = " ".join(s.body for s in all_scenes())
    for name in STEP_NAMES + ("RefundCard", "ReleaseInventory"):
        assert name in whole


def test_catalogue_covers_scenes_md_each_key_in_exactly_one_scene():
    cat = catalogue()
    assert {k: r.scene for k, r in cat.items()} == SCENES_MD_KEYS
    taught = [k for s in all_scenes() for k in s.keys]
    assert sorted(taught) == sorted(SCENES_MD_KEYS)  # no key twice
    for r in cat.values():
        assert set(r.on_engine) == set(ENGINES) and all(r.on_engine.values())
        assert set(r.grade) == set(ENGINES) and r.when_absent and r.label and r.term
    assert [k for k, r in cat.items() if r.hard] == ["long_wait", "signals"]
    assert "7-day default timeout" in requirement("long_wait").on_engine["dag"]


def test_get_scene_accepts_every_spelling():
    assert get_scene("7").number == "07"
    assert get_scene("07").number == "07"
    assert get_scene("6.5").number == "06a"
    assert get_scene("06a").display == "6.5"
    with pytest.raises(SceneError, match="no scene '13'"):
        get_scene("13")


def test_knob_values_are_checked_and_coerced():
    s06 = get_scene("06")
    values = s06.knob_values({"maximum_attempts": "3", "card_declined": "on"})
    assert values["maximum_attempts"] == 3 and values["card_declined"] is True
    assert values["initial_interval_s"] == 1 and values["backoff_coefficient"] == "2.0"
    with pytest.raises(SceneError, match="outside 1..10"):
        s06.knob_values({"maximum_attempts": "11"})
    with pytest.raises(SceneError, match="no knob 'max_attempts'"):
        s06.knob_values({"max_attempts": "3"})
    with pytest.raises(SceneError, match="not one of"):
        get_scene("09").knob_values({"failure_point": "EmailStep"})


GOOD = """+++
number = "07"
title = "T"
summary = "S"
terms = ["durable timer"]
keys = ["long_wait"]

[[knobs]]
name = "inject_random"
label = "inject"
kind = "bool"
default = false
+++
Body.
"""


def write(tmp_path: Path, text: str, name: str = "07-x.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_scratch_scene_parses(tmp_path):
    scene = load_scene(write(tmp_path, GOOD))
    assert scene.keys == ["long_wait"] and scene.number == "07"
    assert scene.body == "Body.\n"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("title = \"T\"\n", ""), r"07-x\.md:1: title: missing required field"),
        (("default = false", "default = 3"), r"07-x\.md:12: knobs\.0\.default: a bool knob"),
        (("summary = \"S\"", "summary = \"S\"\ncolour = 1"), r"07-x\.md:5: colour: unknown field"),
        (("keys = [\"long_wait\"]", "keys = [\"long_wiat\"]"),
         r"07-x\.md:6: keys: long_wiat: unknown requirement key \(did you mean long_wait\?\)"),
        (("keys = [\"long_wait\"]", "keys = [\"signals\"]"),
         r"07-x\.md:6: keys: signals is taught in scene 08 \(workloads/requirements\.toml\), not in 07"),
        (("keys = [\"long_wait\"]", "keys = [\"long_wait\", \"long_wait\"]"), r"07-x\.md:6: keys: a key repeats"),
        (("title = \"T\"", "title = \"T"), r"07-x\.md:3: front matter is not valid TOML"),
        (("number = \"07\"", "number = \"7\""), r"07-x\.md:2: number: write it as '07'"),
    ],
)
def test_bad_front_matter_names_file_line_and_field(tmp_path, change, expected):
    old, new = change
    assert old in GOOD
    with pytest.raises(SceneError, match=expected):
        load_scene(write(tmp_path, GOOD.replace(old, new, 1)))


def test_missing_fences_and_wrong_file_name(tmp_path):
    with pytest.raises(SceneError, match=r":1: the file must start with"):
        load_scene(write(tmp_path, GOOD.removeprefix("+++\n")))
    with pytest.raises(SceneError, match="never closed"):
        load_scene(write(tmp_path, GOOD.replace("+++\nBody", "Body")))
    with pytest.raises(SceneError, match="does not match the file name"):
        load_scene(write(tmp_path, GOOD, name="04-x.md"))


def test_a_scene_folder_missing_scenes_or_repeating_one_is_named(tmp_path):
    write(tmp_path, GOOD)
    with pytest.raises(SceneError, match=r"missing scene file\(s\) for 01, 02, 03"):
        all_scenes(tmp_path)
    write(tmp_path, GOOD, name="07-y.md")
    with pytest.raises(SceneError, match="scene 07 is also in"):
        all_scenes(tmp_path)


def test_a_scene_folder_that_drops_a_catalogued_key_is_named(tmp_path):
    """Both directions agree: a scene that no longer lists a key the catalogue files under it fails."""
    for scene in all_scenes():
        text = scene.path.read_text(encoding="utf-8")
        if scene.number == "08":
            text = text.replace('keys = ["signals", "queries"]', 'keys = ["signals"]', 1)
        (tmp_path / scene.path.name).write_text(text, encoding="utf-8")
    with pytest.raises(SceneError, match=r"08-signals-queries\.md: keys: lacks 'queries'"):
        all_scenes(tmp_path)
