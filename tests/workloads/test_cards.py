"""Workload cards: the bundled ones validate; a user's bad card gets `file: key: problem`."""

from pathlib import Path

import pytest

from workloads.requirements import catalogue
from workloads.cards import CardError, bundled_cards, get_card, load_card

GOOD = """id = "my-flow"
letter = "Z"
title = "My flow"
story = "Something that waits."
scenarios = ["happy"]

[chips]
long_wait = true
batch_dag = false
"""


def write(tmp_path: Path, text: str, name: str = "my.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bundled_cards_validate_and_cover_the_brief():
    cards = bundled_cards()
    assert [c.letter for c in cards] == sorted(c.letter for c in cards)
    assert len(cards) >= 6
    by_letter = {c.letter: c for c in cards}
    assert by_letter["A"].title == "Order fulfillment (30-day wait + cancel)"
    assert by_letter["A"].workload == "order-1001"
    assert by_letter["A"].scenarios == ["happy", "cancel", "crash", "sick-payment", "declined", "deploy-v2"]
    assert by_letter["B"].title == "Nightly data-warehouse refresh" and by_letter["B"].workload == "nightly-etl"
    assert by_letter["B"].scenarios == ["happy", "flaky-transform", "bad-data"]
    assert by_letter["C"].workload == "expense-approval" and by_letter["C"].scenarios == ["approve", "reject", "no-answer"]
    assert by_letter["C"].chips["cloud_native"] is True
    extra = [c for c in cards if c.letter not in "ABC"]
    assert all(c.workload is None for c in extra)
    assert {"unbounded", "long_wait", "fan_out"} <= {k for c in extra for k in c.present()}
    assert by_letter["A"].chip_label("long_wait") == "30-day wait"
    for card in cards:
        assert set(card.chips) <= set(catalogue()) and card.path is not None


def test_get_card_by_letter_id_workload_or_path(tmp_path):
    assert get_card("A").id == "order-fulfillment"
    assert get_card("b").letter == "B"
    assert get_card("order-fulfillment").letter == "A"
    assert get_card("nightly-etl").letter == "B"
    path = write(tmp_path, GOOD)
    card = get_card(str(path))
    assert card.id == "my-flow" and card.path == path and card.present() == ["long_wait"]
    with pytest.raises(CardError, match="no card 'Q'.*A \\(order-fulfillment\\)"):
        get_card("Q")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("long_wait = true", "long_wiat = true", "my.toml: chips.long_wiat: unknown requirement key (did you mean long_wait?)"),
        ("long_wait = true", 'long_wait = "yes"', "my.toml: chips.long_wait: expected true or false, got 'yes'"),
        ('title = "My flow"\n', "", "my.toml: title: missing required field"),
        ('letter = "Z"', 'letter = "zz"', "my.toml: letter: expected one capital letter"),
        ('id = "my-flow"', 'id = "My Flow"', "my.toml: id: expected lower-case words joined by '-'"),
        ('story = "Something that waits."', 'story = "x"\ncolour = "red"', "my.toml: colour: unknown field"),
        ('scenarios = ["happy"]', "scenarios = \"happy\"", "my.toml: scenarios: "),
        ('scenarios = ["happy"]', 'scenarios = ["happy"]\npath = "/etc"', "my.toml: path: unknown field"),
        ("[chips]", "[chip]", "my.toml: chip: unknown field"),
        ('title = "My flow"', 'title = "My flow', "my.toml: not valid TOML: .*line 3"),
    ],
)
def test_bad_cards_name_file_key_and_problem(tmp_path, old, new, expected):
    assert old in GOOD
    with pytest.raises(CardError, match=expected.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        load_card(write(tmp_path, GOOD.replace(old, new, 1)))


def test_a_card_needs_chips_and_a_readable_file(tmp_path):
    with pytest.raises(CardError, match="my.toml: chips: a card needs at least one chip"):
        load_card(write(tmp_path, GOOD.split("[chips]")[0] + "[chips]\n"))
    with pytest.raises(CardError, match="cannot read"):
        load_card(tmp_path / "missing.toml")


def test_scene_12s_card_knob_offers_exactly_the_bundled_cards():
    from lessons.scenes import get_scene

    assert get_scene("12").knob("card").choices == [c.letter for c in bundled_cards()]
