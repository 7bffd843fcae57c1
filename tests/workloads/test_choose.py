"""choose_model honours the course's rule on A, B and C, cites the right scenes, and generalises."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathlib import Path

from workloads.requirements import Grade, catalogue
from workloads.cards import Card, CardError, get_card, load_card
from workloads.choose import MODELS, choice_json, choose_model, course_rule, default_weights, emphasised_weights


VERDICT_CARDS = Path(__file__).with_name("verdict_cards")


def scenes_cited(choice) -> set[str]:
    return {r.scene for r in choice.reasons if r.present}


def test_card_a_goes_to_replay_citing_timers_and_signals():
    choice = choose_model(get_card("A"))
    assert choice.model == "replay"
    assert {"07", "08"} <= scenes_cited(choice)
    by_key = {r.key: r for r in choice.reasons}
    assert by_key["long_wait"].term == "durable timer" and by_key["long_wait"].scene == "07"
    assert by_key["signals"].term == "signal" and by_key["signals"].scene == "08"
    assert "30-day wait" in by_key["long_wait"].why and "scene 07" in by_key["long_wait"].why
    assert by_key["batch_dag"].present is False
    assert choice.ruled_out["dag"] == ["long_wait", "signals"]
    assert card_a_grades() == {"replay": "serves", "dag": "cannot", "statemachine": "serves"}


def card_a_grades() -> dict[str, str]:
    by_key = {r.key: r for r in choose_model(get_card("A")).reasons}
    return {engine: grade.value for engine, grade in by_key["long_wait"].grades.items()}


def test_card_b_goes_to_dag_citing_scene_12_and_the_absent_wait():
    choice = choose_model(get_card("B"))
    assert choice.model == "dag"
    assert "12" in scenes_cited(choice)
    by_key = {r.key: r for r in choice.reasons}
    assert by_key["batch_dag"].present and by_key["batch_dag"].scene == "12"
    assert not by_key["long_wait"].present and "scene 07" in by_key["long_wait"].why
    assert not by_key["signals"].present and "scene 08" in by_key["signals"].why


def test_card_c_goes_to_the_state_machine():
    choice = choose_model(get_card("C"))
    assert choice.model == "statemachine"
    assert {r.key for r in choice.reasons if r.present} >= {"cloud_native", "declarative"}


def test_every_bundled_card_but_c_agrees_with_the_course_rule_and_c_lands_on_the_state_machine():
    """C's honest chips (a 3-day wait, the manager's answer) would send it to replay under the
    three-line rule; the grades send it to the state machine for the course's own reason."""
    from workloads.cards import bundled_cards

    for card in bundled_cards():
        if card.letter == "C":
            assert course_rule(card) == "replay" and choose_model(card).model == "statemachine"
            assert card.amount("long_wait") == 3 * 86400 and card.chips["signals"] is True
        else:
            assert choose_model(card).model == course_rule(card), card.id


def test_the_weight_knob_can_move_a_borderline_card():
    card = Card(id="x", letter="X", title="x", story="x",
                chips={"batch_dag": True, "crash_survival": True, "long_running_stateful": True})
    assert choose_model(card).model == "dag"
    assert choose_model(card, emphasised_weights("long_running_stateful")).model == "replay"
    with pytest.raises(CardError, match="did you mean long_wait"):
        emphasised_weights("long_wiat")
    with pytest.raises(CardError, match="expected a number"):
        choose_model(card, {"retries": -1})
    with pytest.raises(CardError, match="give a requirement key"):
        emphasised_weights("")


def test_no_weight_can_put_a_long_wait_on_a_dag():
    card = Card(id="x", letter="X", title="x", story="x", chips={"long_wait": True, "batch_dag": True})
    assert choose_model(card, {"batch_dag": 1000.0}).model == "replay"


KEYS = sorted(catalogue())
WAITS = st.one_of(st.booleans(), st.sampled_from(["30m", "1h", "3d", "7d", "8d", "30d", "1y", "2y"]))
COUNTS = st.one_of(st.booleans(), st.integers(min_value=1, max_value=100_000))


@st.composite
def chip_sets(draw):
    chips = draw(st.dictionaries(st.sampled_from(KEYS), st.booleans(), min_size=1))
    if "long_wait" in chips:
        chips["long_wait"] = draw(WAITS)
    if "fan_out" in chips:
        chips["fan_out"] = draw(COUNTS)
    return chips


def _wait(card: Card) -> float | None:
    """The card's wait in seconds: None if it has none, inf for a bare true (longer than a week)."""
    if not card.chips.get("long_wait"):
        return None
    amount = card.amount("long_wait")
    return float("inf") if amount is None else amount


@settings(max_examples=150, deadline=None)
@given(chip_sets())
def test_the_graded_rule_keeps_the_course_rule_for_its_own_cases(chips):
    card = Card(id="x", letter="X", title="x", story="x", chips=chips)
    choice = choose_model(card)
    assert choice.model in MODELS + ("none",) and len(choice.reasons) == len(chips)
    present = set(card.present())
    wait = _wait(card)
    week, year = 7 * 86400, 365 * 86400
    # The course's own case: a wait past a week plus a signal goes to replay, unless the card is
    # both cloud-native and declarative (the course's "cloud-native approval flow").
    if wait is not None and wait > week and "signals" in present and not {"cloud_native", "declarative"} <= present:
        assert choice.model == "replay"
    # A wait past a DAG sensor's 7-day default timeout never lands on the DAG; past a year, never
    # on the state machine (a Standard execution's limit).
    if wait is not None and wait > week:
        assert choice.model != "dag" and "dag" in choice.ruled_out
    if wait is not None and wait > year and wait != float("inf"):
        assert choice.model != "statemachine" and "statemachine" in choice.ruled_out
    # The nightly ETL's case: a batch with nothing every engine does not grade alike goes to the DAG,
    # a wait within the sensor's timeout and an operator's abort included.
    shared = {"batch_dag", "scheduled", "retries", "exactly_once_effects", "long_wait", "signals"}
    if "batch_dag" in present and present <= shared and (wait is None or wait <= week) and "compensation" not in present:
        assert choice.model == "dag"
    # Nothing that needs an engine: "none".
    if not any(catalogue()[k].orchestrates for k in present):
        assert choice.model == "none"
    else:
        assert choice.model != "none"


def test_the_cards_of_the_brief_land_where_the_real_systems_would_put_them():
    expected = {
        "partner-file-import": "dag",        # a 3-day wait is a sensor inside its 7-day timeout
        "cloud-approval-1h": "statemachine",  # callback token + Wait, declarative, one cloud
        "warranty-reminder-2y": "replay",    # Step Functions caps an execution at a year
        "price-quote": "none",               # nothing to orchestrate
        "thumbnails-10k": "statemachine",
        "nightly-etl-abort": "dag",          # an abort is mark-failed, nothing to undo
    }
    for card_id, model in expected.items():
        choice = choose_model(load_card(VERDICT_CARDS / f"{card_id}.toml"))
        assert choice.model == model, card_id
    quote = choose_model(load_card(VERDICT_CARDS / "price-quote.toml"))
    assert choice_json(quote)["summary"].startswith("nothing to orchestrate")
    serverless = choose_model(load_card(VERDICT_CARDS / "warranty-reminder-2y.toml"))
    assert serverless.ruled_out == {"dag": ["long_wait"], "statemachine": ["long_wait"]}
    why = {r.key: r for r in serverless.reasons}["long_wait"]
    assert why.grades == {"replay": Grade.SERVES, "dag": Grade.CANNOT, "statemachine": Grade.CANNOT}


def test_a_big_fan_out_gets_a_size_warning_naming_each_engines_limit():
    warnings = choose_model(load_card(VERDICT_CARDS / "thumbnails-10k.toml")).warnings
    assert any("10,240" in w and "51,200" in w and "50 MB" in w for w in warnings["replay"])
    assert any("2,000 pending" in w for w in warnings["replay"])
    assert any("25,000" in w and "Distributed Map" in w for w in warnings["statemachine"])
    assert any("max_map_length" in w and "1,024" in w for w in warnings["dag"])
    assert choose_model(get_card("F")).warnings == {}  # five sizes pass no limit


def test_choose_cli_json_shape_and_errors(capsys, tmp_path):
    import json

    from app.cli.main import main

    assert main(["choose", "A", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["card"] == "order-fulfillment" and data["model"] == "replay"
    assert list(data) == ["card", "model", "summary", "reasons", "warnings"]
    assert {r["scene"] for r in data["reasons"] if r["present"]} >= {"07", "08"}

    path = tmp_path / "mine.toml"
    path.write_text('id = "mine"\nletter = "M"\ntitle = "Mine"\nstory = "s"\n[chips]\nbatch_dag = true\n')
    assert main(["choose", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "dag"

    assert main(["choose", "B"]) == 0
    out = capsys.readouterr().out
    assert "DAG scheduler" in out and "12" in out

    path.write_text(path.read_text().replace("batch_dag", "batch_dgg"))
    assert main(["choose", str(path)]) == 1
    assert "mine.toml: chips.batch_dgg: unknown requirement key (did you mean batch_dag?)" in capsys.readouterr().err


def test_cards_cli_table_and_json(capsys):
    import json

    from app.cli.main import main

    assert main(["cards", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert [c["letter"] for c in cards][:3] == ["A", "B", "C"]
    assert cards[0]["chips"]["long_wait"] == "30d" and cards[0]["labels"]["long_wait"] == "30-day wait"
    assert main(["cards"]) == 0
    out = capsys.readouterr().out
    assert "Nightly data-warehouse" in out and "✓" in out and "○" in out
