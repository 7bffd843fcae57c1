"""`workflow-canvas lessons` and `lesson NN`: shapes a script can rely on, and one-line errors."""

import json
import sys
import types
from dataclasses import dataclass, field

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


def test_lesson_prints_markdown_text(capsys, monkeypatch):
    monkeypatch.setattr("app.cli.lessons_cmd.load_demos", lambda: None)
    code, out, _ = run(capsys, "lesson", "7")
    assert code == 0 and "Durable timers" in out and "TimerStarted" in out and "text only" in out


def test_bad_knob_and_bad_scene_are_one_line_errors(capsys):
    code, _, err = run(capsys, "lesson", "07", "--knob", "wait_with=nap")
    assert code == 1 and "knob wait_with: 'nap' is not one of thread_sleep, durable_timer" in err
    code, _, err = run(capsys, "lesson", "07", "--knob", "crashes=2")
    assert code == 1 and "no knob 'crashes'" in err
    code, _, err = run(capsys, "lesson", "07", "--knob", "crashes_during_wait")
    assert code == 1 and "write it as name=value" in err
    code, _, err = run(capsys, "lesson", "14")
    assert code == 1 and "no scene '14'" in err


@dataclass
class _Result:
    scene: str
    knobs: dict
    headline: str = "charged once"
    figures: dict = field(default_factory=lambda: {"statement_cents": 4200})
    lines: list = field(default_factory=lambda: ["ChargeCard ran once"])
    runs: dict = field(default_factory=dict)
    history: list = field(default_factory=list)


def test_the_demo_hook_passes_the_scene_and_knobs(capsys, monkeypatch):
    calls = []
    fake = types.ModuleType("lessons.demos")
    fake.run_demo = lambda number, **knobs: calls.append((number, knobs)) or _Result(number, knobs)
    monkeypatch.setitem(sys.modules, "lessons.demos", fake)
    code, out, _ = run(capsys, "lesson", "06a", "--knob", "crash_in_window=off", "--json")
    assert code == 0 and calls == [("06a", {"idempotency_key": False, "crash_in_window": False})]
    assert json.loads(out)["demo"]["figures"] == {"statement_cents": 4200}
    code, out, _ = run(capsys, "lesson", "06a")
    assert code == 0 and "charged once" in out and "statement_cents" in out
