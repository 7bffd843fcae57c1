"""The verifier's three grades: every mark agrees with its sentence, the deciding lines come first,
and the evidence runs the scenarios that decide the card (the cancel, the long wait) first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engines.trace import ENGINES
from workloads.cards import bundled_cards, get_card, load_card
from workloads.requirements import Grade
from workloads.verifier import evidence_plan, verify

VERDICT_CARDS = Path(__file__).with_name("verdict_cards")
TEST_CARDS = [load_card(p) for p in sorted(VERDICT_CARDS.glob("*.toml"))]

#: Words that state a limit, and words that say an engine does not do it.
LIMIT_WORDS = re.compile(r"\b(only|up to|within|but|at most|at least once)\b")
CANNOT_WORDS = re.compile(r"\b(cannot|has no)\b")


def agrees(grade: Grade, sentence: str) -> bool:
    """Does the sentence say what the grade says? serves: no limit, no refusal; limited: a limit
    stated; cannot: a refusal stated."""
    if grade is Grade.SERVES:
        return not LIMIT_WORDS.search(sentence) and not CANNOT_WORDS.search(sentence)
    if grade is Grade.LIMITED:
        return bool(LIMIT_WORDS.search(sentence))
    return bool(CANNOT_WORDS.search(sentence))


@pytest.mark.parametrize("card", bundled_cards() + TEST_CARDS, ids=lambda c: c.id)
def test_every_grade_agrees_with_its_sentence_and_its_mark(card):
    for engine in ENGINES:
        data = verify(card, engine, evidence=False).to_json()
        for reason in data["reasons"]:
            if not reason["present"]:
                assert reason["grade"] is None and reason["why"].startswith("○ ")
                continue
            grade = Grade(reason["grade"])
            sentence = reason["why"].split("): ", 1)[1]
            assert reason["why"].startswith(grade.mark + " "), (engine, reason)
            assert agrees(grade, sentence), (engine, reason["key"], grade, sentence)
            assert reason["ok"] == (grade is not Grade.CANNOT)


def test_the_deciding_lines_come_first_and_name_what_differs():
    verdict = verify(get_card("A"), "dag", evidence=False)
    assert verdict.compared_with == "replay"
    assert verdict.deciding[:2] == ["long_wait", "signals"]  # the two that rule the DAG out
    assert [ln.key for ln in verdict.lines[:len(verdict.deciding)]] == verdict.deciding
    assert all(ln.deciding for ln in verdict.lines[:len(verdict.deciding)])
    assert not any(ln.deciding for ln in verdict.lines[len(verdict.deciding):])
    right = verify(get_card("A"), "replay", evidence=False)
    assert right.correct and right.compared_with == "statemachine" and right.deciding[0] == "signals"


def test_card_a_goes_to_replay_with_cancel_evidence_on_all_three_engines():
    outcomes = {}
    for engine in ENGINES:
        verdict = verify(get_card("A"), engine)
        assert verdict.correct == (engine == "replay") and verdict.recommended == "replay"
        assert verdict.evidence_scenarios[:2] in (["cancel", "happy"], ["happy", "cancel"])
        assert "crash" in verdict.evidence_scenarios
        cancel = [e for e in verdict.evidence if e.startswith(f"cancel on {engine} (for signals): ")]
        assert len(cancel) == 1, verdict.evidence
        outcomes[engine] = cancel[0]
        crash = [e for e in verdict.evidence if e.startswith(f"crash on day 3 on {engine}")]
        assert crash, verdict.evidence  # the crash lands inside the wait, before the DAG's day-7 timeout
    assert "refunded $42.00" in outcomes["replay"] and "refunded $42.00" in outcomes["statemachine"]
    assert "never refunded" in outcomes["dag"]


def test_card_c_lands_on_the_state_machine_and_its_evidence_shows_the_wait_and_the_answer():
    verdict = verify(get_card("C"), "statemachine")
    assert verdict.correct and verdict.recommended == "statemachine"
    grades = {ln.key: ln.grade for ln in verdict.lines if ln.present}
    assert grades["long_wait"] is Grade.SERVES and grades["signals"] is Grade.LIMITED
    assert verdict.evidence_scenarios[:2] == ["approve", "no-answer"]
    assert any(e.startswith("approve on statemachine (for signals): completed, paid out $180.00") for e in verdict.evidence)
    assert any(e.startswith("no-answer on statemachine (for long_wait): timed_out") for e in verdict.evidence)


def test_evidence_runs_the_hard_chips_scenarios_before_the_rest():
    card = get_card("A")
    assert [s for s, _ in evidence_plan(card, [])] == ["happy", "cancel", "crash"]
    assert [s for s, _ in evidence_plan(card, ["signals", "crash_survival"])] == ["cancel", "happy", "crash"]
    assert evidence_plan(get_card("B"), ["batch_dag"]) == [("happy", "batch_dag"), ("flaky-transform", "retries")]
    assert verify(get_card("B"), "dag", evidence=False).deciding[0] == "batch_dag"


def test_verify_a_on_the_state_machine_states_its_limits_in_words(capsys, monkeypatch):
    from app.cli.main import main

    monkeypatch.setenv("COLUMNS", "400")
    assert main(["verify", "A", "--on", "statemachine", "--no-evidence", "--json"]) == 0
    reasons = {r["key"]: r for r in json.loads(capsys.readouterr().out)["reasons"]}
    assert reasons["long_wait"]["grade"] == "serves" and "one-year" in reasons["long_wait"]["why"]
    assert reasons["signals"]["grade"] == "limited" and "callback task token" in reasons["signals"]["why"]
    assert "not a message at any time" in reasons["signals"]["why"]
    assert main(["verify", "A", "--on", "statemachine", "--no-evidence"]) == 0
    out = capsys.readouterr().out
    assert "◒ signals (cancelOrder) → signal (scene 08)" in out and "✓ 30-day wait → durable timer (scene 07)" in out
    assert "Decided by: signals (limited here, serves on replay)" in out


def test_verify_a_on_the_dag_says_signals_cannot_and_why(capsys, monkeypatch):
    from app.cli.main import main

    monkeypatch.setenv("COLUMNS", "400")
    assert main(["verify", "A", "--on", "dag", "--no-evidence", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    reasons = {r["key"]: r for r in data["reasons"]}
    assert reasons["signals"]["grade"] == "cannot" and reasons["signals"]["deciding"]
    assert "no running actor" in reasons["signals"]["why"] and "mark-failed runs no task" in reasons["signals"]["why"]
    assert reasons["long_wait"]["grade"] == "cannot" and "7-day default timeout" in reasons["long_wait"]["why"]
    assert data["deciding"][:2] == ["long_wait", "signals"]
    assert main(["verify", "A", "--on", "dag", "--no-evidence"]) == 0
    assert "✗ signals (cancelOrder) → signal (scene 08): a DAG has no running actor" in capsys.readouterr().out


def test_a_wait_inside_the_sensor_timeout_is_limited_on_the_dag_and_says_which_mode_frees_the_slot():
    verdict = verify(load_card(VERDICT_CARDS / "partner-file-import.toml"), "dag", evidence=False)
    assert verdict.correct
    wait = next(ln for ln in verdict.lines if ln.key == "long_wait")
    assert wait.grade is Grade.LIMITED and "7-day default timeout" in wait.text
    assert "reschedule or deferrable mode" in wait.text and "poke mode" in wait.text


def test_nothing_to_orchestrate_is_never_the_right_fit_and_says_so():
    card = load_card(VERDICT_CARDS / "price-quote.toml")
    for engine in ENGINES:
        verdict = verify(card, engine, evidence=False)
        assert not verdict.correct and verdict.recommended == "none"
        assert verdict.to_json()["model"] == "none"


def test_a_big_fan_out_warns_on_the_engine_it_is_placed_on():
    card = load_card(VERDICT_CARDS / "thumbnails-10k.toml")
    assert any("max_map_length" in w for w in verify(card, "dag", evidence=False).warnings)
    assert any("Distributed Map" in w for w in verify(card, "statemachine", evidence=False).to_json()["warnings"])
