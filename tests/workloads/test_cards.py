"""Workload cards: the bundled ones validate; a user's bad card gets `file: key: problem`."""

from pathlib import Path

import pytest

from workloads.requirements import catalogue
from workloads.cards import CardError, bundled_cards, get_card, load_card
from workloads.runner import scenarios

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
    assert by_letter["D"].workload == "subscription-renewal"
    assert by_letter["D"].scenarios == ["happy", "cancel", "declined", "price-change"]
    assert by_letter["E"].workload == "kyc-review" and by_letter["E"].scenarios == ["approved", "new-documents", "no-answer"]
    assert by_letter["F"].workload == "thumbnail-fan-out"
    assert by_letter["F"].scenarios == ["one-upload", "flaky-size", "batch-1000"]
    extra = [c for c in cards if c.letter not in "ABC"]
    assert {"unbounded", "long_wait", "fan_out"} <= {k for c in extra for k in c.present()}
    for card in cards:  # a card's scenarios are its workload's, in the order they were written
        if card.workload is not None:
            assert card.scenarios == scenarios(card.workload), card.id
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
        ("long_wait = true", 'long_wait = "yes"', "my.toml: chips.long_wait: expected a duration such as \"3d\""),
        ("long_wait = true", 'long_wait = "0d"', "my.toml: chips.long_wait: a duration is more than 0 and at most 100y"),
        ("long_wait = true", "long_wait = 3", "my.toml: chips.long_wait: expected true, false or a duration"),
        ("batch_dag = false", 'batch_dag = "3d"', "my.toml: chips.batch_dag: expected true or false, got '3d'"),
        ("batch_dag = false", "fan_out = 0", "my.toml: chips.fan_out: expected true, false or a count from 1"),
        ("batch_dag = false", "fan_out = 2.5", "my.toml: chips.fan_out: expected true, false or a count from 1"),
        ('scenarios = ["happy"]', 'scenarios = ["happy"]\nworkload = "order-9999"',
         "my.toml: workload: 'order-9999' is not a runnable workload \\(one of: order-1001"),
        ('scenarios = ["happy"]', 'scenarios = ["happy"]\namounts = {}', "my.toml: amounts: unknown field"),
        ('title = "My flow"', 'title = "My \\u0000flow"', "my.toml: title: contains a NUL character"),
        ('story = "Something that waits."', 'story = "' + "x" * 3000 + '"', "my.toml: story: 3,000 characters; at most 2,000"),
        ("[chips]", '[labels]\nlong_wait = ""\n\n[chips]', "my.toml: labels.long_wait: a label is 1 to 200"),
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
    pattern = expected if "\\(" in expected else expected.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    with pytest.raises(CardError, match=pattern):
        load_card(write(tmp_path, GOOD.replace(old, new, 1)))


def test_a_card_needs_chips_and_a_readable_file(tmp_path):
    with pytest.raises(CardError, match="my.toml: chips: a card needs at least one chip"):
        load_card(write(tmp_path, GOOD.split("[chips]")[0] + "[chips]\n"))
    with pytest.raises(CardError, match="missing.toml: no such card file"):
        load_card(tmp_path / "missing.toml")


def test_scene_12s_card_knob_offers_exactly_the_bundled_cards():
    from lessons.scenes import get_scene

    assert get_scene("12").knob("card").choices == [c.letter for c in bundled_cards()]


def test_measured_chips_keep_their_amount_and_read_as_present(tmp_path):
    card = load_card(write(tmp_path, GOOD.replace("long_wait = true", 'long_wait = "3d"').replace(
        "batch_dag = false", "fan_out = 10000")))
    assert card.present() == ["long_wait", "fan_out"] and card.chips["long_wait"] is True
    assert card.amount("long_wait") == 3 * 86400 and card.amount("fan_out") == 10000
    assert card.chip_value("long_wait") == "3d" and card.chip_value("fan_out") == 10000
    assert card.chip_label("long_wait") == "3 days wait" and card.chip_label("fan_out") == "10,000 independent sub-units"
    assert get_card("A").chip_value("long_wait") == "30d" and get_card("A").amount("long_wait") == 30 * 86400


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", r"bad\.toml:\d+: not UTF-8 text"),
        ('id = "caf\u00e9"\n'.encode("latin-1"), r"bad\.toml:1: not UTF-8 text \(byte 0xe9"),
        ('id = "x"\n'.encode("utf-16"), r"bad\.toml:1: not UTF-8 text"),
        (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", r"bad\.toml: nested too deeply to be a card"),
        (b'story = "' + b"x" * (10 * 1024 * 1024) + b'"\n', r"bad\.toml: 10,485,7\d\d bytes; a card file is at most 65,536 bytes"),
    ],
    ids=["binary", "latin-1", "utf-16", "nested-10000-deep", "10MB-one-line-story"],
)
def test_a_hostile_card_file_gets_one_line_naming_the_file(tmp_path, data, expected):
    path = tmp_path / "bad.toml"
    path.write_bytes(data)
    with pytest.raises(CardError, match=expected) as caught:
        load_card(path)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == data  # nothing touched


def test_a_fifo_is_refused_without_hanging(tmp_path):
    import os

    fifo = tmp_path / "card.toml"
    os.mkfifo(fifo)
    with pytest.raises(CardError, match="card.toml: not a regular file"):
        load_card(fifo)


HOSTILE_TITLE = "[/red] [beta] \x1b[2J"


def hostile_card(tmp_path: Path) -> Path:
    return write(tmp_path, GOOD.replace('title = "My flow"', 'title = "[/red] [beta] \\u001b[2J"').replace(
        'long_wait = true', 'long_wait = true\nsignals = true').replace(
        "[chips]", '[labels]\nsignals = "cancel [bold]now[/bold] \\u001b[31m"\n\n[chips]'), name="hostile.toml")


def test_card_text_is_printed_literally_with_control_characters_stripped(tmp_path, capsys, monkeypatch):
    from app.cli.main import main

    monkeypatch.setenv("COLUMNS", "400")  # one line per cell, so the label is not wrapped
    path = hostile_card(tmp_path)
    assert load_card(path).title == HOSTILE_TITLE
    for argv in (["choose", str(path)], ["verify", str(path), "--on", "dag", "--no-evidence"]):
        assert main(argv) == 0, argv
        out = capsys.readouterr().out
        assert "[/red] [beta] [2J" in out and "\x1b" not in out, argv
        assert "cancel [bold]now[/bold] [31m" in out, argv
    assert main(["cards"]) == 0 and "\x1b" not in capsys.readouterr().out


def test_the_verifier_panel_shows_card_text_as_text(tmp_path):
    from app.widgets.verifier_panel import verdict_text
    from workloads.verifier import verify

    text = verdict_text(verify(load_card(hostile_card(tmp_path)), "replay", evidence=False))
    assert "[/red] [beta] [2J" in text.plain and "\x1b" not in text.plain
    assert "cancel [bold]now[/bold] [31m" in text.plain


def test_an_empty_weight_is_refused_on_the_command_line(capsys):
    from app.cli.main import main

    assert main(["choose", "A", "--weight", ""]) == 1
    assert "give a requirement key" in capsys.readouterr().err
