"""choose_model honours the course's rule on A, B and C, cites the right scenes, and generalises."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.requirements import catalogue
from workloads.cards import Card, CardError, get_card
from workloads.choose import MODELS, choice_json, choose_model, course_rule, default_weights, emphasised_weights


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


def test_every_bundled_card_agrees_with_the_course_rule_by_default():
    from workloads.cards import bundled_cards

    for card in bundled_cards():
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


def test_no_weight_can_put_a_long_wait_on_a_dag():
    card = Card(id="x", letter="X", title="x", story="x", chips={"long_wait": True, "batch_dag": True})
    assert choose_model(card, {"batch_dag": 1000.0}).model == "replay"


KEYS = sorted(catalogue())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), st.booleans(), min_size=1))
def test_course_rule_holds_for_its_decisive_keys(chips):
    card = Card(id="x", letter="X", title="x", story="x", chips=chips)
    choice = choose_model(card)
    assert choice.model in MODELS and len(choice.reasons) == len(chips)
    if chips.get("long_wait") or chips.get("signals"):
        assert choice.model == "replay"  # a long wait or a signal outweighs every statemachine-only key
    present = set(card.present())
    # Keys that pull toward one engine alone, other than the DAG.
    one_sided = {k for k in present if catalogue()[k].toward in (["replay"], ["statemachine"])}
    if "batch_dag" in present and not one_sided:
        assert choice.model == "dag"  # shared keys never outweigh batch_dag; ties go the course's way
    if not present:
        assert choice.model == "statemachine"


def test_default_weights_cover_the_catalogue_and_json_shape():
    assert set(default_weights()) == set(catalogue())
    data = choice_json(choose_model(get_card("A")))
    assert list(data) == ["card", "model", "reasons"]
    assert all(list(r) == ["key", "present", "term", "scene", "why"] for r in data["reasons"])


def test_choose_cli_json_shape_and_errors(capsys, tmp_path):
    import json

    from app.cli.main import main

    assert main(["choose", "A", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["card"] == "order-fulfillment" and data["model"] == "replay"
    assert list(data) == ["card", "model", "reasons"]
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
    assert cards[0]["chips"]["long_wait"] is True and cards[0]["labels"]["long_wait"] == "30-day wait"
    assert main(["cards"]) == 0
    out = capsys.readouterr().out
    assert "Nightly data-warehouse" in out and "✓" in out and "○" in out
