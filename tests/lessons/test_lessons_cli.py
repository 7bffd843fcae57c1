"""`workflow-canvas lessons` and `lesson NN`: shapes a script can rely on, and one-line errors."""

import json

from app.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lessons_json_lists_thirteen_scenes_with_knobs(capsys):
    code, out, _ = run(capsys, "lessons", "--json")
    scenes = json.loads(out)
    assert code == 0 and len(scenes) == 13
    assert scenes[6]["number"] == "06a" and scenes[6]["display"] == "6.5"
    assert {"number", "display", "title", "summary", "terms", "keys", "knobs"} <= set(scenes[0])
    assert scenes[0]["knobs"][0]["name"] == "crash_after_charge"


def test_lessons_table_shows_every_title(capsys):
    code, out, _ = run(capsys, "lessons")
    assert code == 0 and "Durable timers" in out and "6.5" in out


def test_lesson_json_has_text_and_checked_knobs(capsys):
    code, out, _ = run(capsys, "lesson", "6.5", "--knob", "idempotency_key=on", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["scene"]["number"] == "06a" and "order-1001-charge" in data["scene"]["body"]
    assert data["knobs"] == {"idempotency_key": True, "crash_in_window": True}
    assert "demo" in data


def test_lesson_prints_markdown_text_and_runs_the_demo(capsys):
    code, out, _ = run(capsys, "lesson", "7")
    assert code == 0 and "Durable timers" in out and "TimerStarted" in out
    assert "TimerFired" in out and "demo" in out


def test_bad_knob_and_bad_scene_are_one_line_errors(capsys):
    code, _, err = run(capsys, "lesson", "07", "--knob", "wait_with=nap")
    assert code == 1 and "knob wait_with: 'nap' is not one of thread_sleep, durable_timer" in err
    code, _, err = run(capsys, "lesson", "07", "--knob", "crashes=2")
    assert code == 1 and "no knob 'crashes'" in err
    code, _, err = run(capsys, "lesson", "07", "--knob", "crashes_during_wait")
    assert code == 1 and "write it as name=value" in err
    code, _, err = run(capsys, "lesson", "14")
    assert code == 1 and "no scene '14'" in err


def test_lesson_json_carries_the_real_demo_and_its_runs(capsys):
    code, out, _ = run(capsys, "lesson", "06a", "--knob", "idempotency_key=off", "--json")
    demo = json.loads(out)["demo"]
    assert code == 0 and demo["scene"] == "06a" and demo["knobs"] == {"idempotency_key": False, "crash_in_window": True}
    assert demo["figures"]["statement_cents"] == 8400 and demo["figures"]["charges"] == 2
    code, out, _ = run(capsys, "lesson", "06a", "--knob", "idempotency_key=on", "--json")
    demo = json.loads(out)["demo"]
    assert demo["figures"]["statement_cents"] == 4200
    for run_json in demo["runs"].values():
        assert {"status", "outcome", "problems", "trace"} <= set(run_json)
        assert isinstance(run_json["trace"][0]["time"], str)  # real JSON, not a Python repr
