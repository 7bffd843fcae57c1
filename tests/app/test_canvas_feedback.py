"""The canvas gives feedback: a stamp on every placed card, a score, a verdict brought back by a
click or ⏎, a red flash for a wrong fit, ⏎ Run on the card's own scenario, and a user's own card
loaded from the command line or with the `o` key."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Input

from app.canvas_app import WorkflowCanvasApp
from app.screens.canvas import CanvasScreen, OpenCardScreen
from app.widgets.card import CardWidget
from app.widgets.verifier_panel import VerifierPanel
from app.widgets.weights import WeightsTable
from app.widgets.zone import EngineZone
from workloads.cards import bundled_cards, get_card, load_card
from workloads.choose import choose_model

from .conftest import SIZE, screen_text, settle, static_text

KEYS = {"replay": "1", "dag": "2", "statemachine": "3", "deck": "0"}
#: Each card on an engine; some on their best model, some not (by the chooser, not by this table).
PLAN = {"A": "dag", "B": "dag", "C": "statemachine", "D": "replay", "E": "statemachine", "F": "replay"}

MY_CARD = """\
id = "invoice-chase"
letter = "G"
title = "Invoice chase (weeks of reminders)"
story = "Send an invoice, remind the customer every week until they pay, then mark it paid."
scenarios = []

[chips]
long_wait = "30d"
signals = true
side_effects = true
retries = true
"""


def verdict_of(app) -> str:
    return static_text(app.screen.query_one("#verdict"))


async def place(pilot, letter: str, zone: str) -> None:
    pilot.app.screen.query_one(f"#card-{letter}").focus()
    await pilot.press(KEYS[zone])
    await settle(pilot)


@pytest.fixture
def long_flash(monkeypatch):
    """The flash lasts 0.8 s; a loaded machine may take longer than that to settle, so hold it."""
    monkeypatch.setattr(VerifierPanel, "FLASH_SECONDS", 600.0)


async def test_every_placed_card_wears_its_stamp_and_the_score_counts_them():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CanvasScreen)
        assert screen.query_one(VerifierPanel).border_subtitle == "no card placed yet"
        for letter, zone in PLAN.items():
            await place(pilot, letter, zone)
        best = 0
        for card in bundled_cards():
            widget = screen.query_one(f"#card-{card.letter}", CardWidget)
            on_best = choose_model(card, screen.weights).model == PLAN[card.letter]
            best += on_best
            assert widget.parent.id == f"zone-{PLAN[card.letter]}"
            assert (widget.stamp == "✓") is on_best, card.letter
            assert widget.stamp in ("✓", "◒", "✗")
            assert str(widget.render()).startswith(widget.stamp), "the stamp is what the card shows first"
        assert 0 < best < 6, "the plan mixes best and wrong fits"
        assert screen.score_text == f"{best} of 6 placed on their best model"
        assert screen.query_one(VerifierPanel).border_subtitle == screen.score_text
        # back on the deck: no stamp, one fewer placed
        await place(pilot, "B", "deck")
        assert screen.query_one("#card-B", CardWidget).stamp == ""
        b_best = choose_model(get_card("B"), screen.weights).model == PLAN["B"]
        assert screen.score_text == f"{best - b_best} of 5 placed on their best model"


async def test_the_stamps_follow_the_weights():
    """The best model moves with the requirement weights, and the stamps and score with it."""
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await place(pilot, "C", "statemachine")
        assert screen.query_one("#card-C", CardWidget).stamp == "✓"
        assert screen.score_text == "1 of 1 placed on their best model"
        table = screen.query_one(WeightsTable)
        table.focus()
        table.move_cursor(row=list(table.weights).index("cloud_native"))
        await pilot.pause()
        while table.weights["cloud_native"] > 0:
            await pilot.press("minus")
        await pilot.pause()
        assert choose_model(get_card("C"), screen.weights).model != "statemachine"
        assert screen.query_one("#card-C", CardWidget).stamp in ("◒", "✗")
        assert screen.score_text == "0 of 1 placed on their best model"


async def test_a_click_or_enter_on_a_placed_card_brings_its_verdict_back():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await place(pilot, "A", "dag")
        await place(pilot, "B", "dag")
        assert "B on DAG scheduler" in verdict_of(app) and "RIGHT FIT" in verdict_of(app)
        await pilot.click("#card-A")
        await settle(pilot)
        text = verdict_of(app)
        assert "NOT THE BEST FIT" in text and "A on DAG scheduler" in text
        assert "Evidence from running it" in text
        assert app.screen.query_one("#card-A").parent.id == "zone-dag", "a click is not a move"
        app.screen.query_one("#card-B").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "B on DAG scheduler" in verdict_of(app)
        assert app.current_mode == "canvas", "⏎ on a placed card shows its verdict, it does not run it"
        # r runs a placed card, on its own first scenario
        await pilot.press("r")
        await pilot.pause()
        assert app.current_mode == "run"
        assert (app.screen.workload, app.screen.scenario) == ("nightly-etl", get_card("B").scenarios[0])


async def test_a_wrong_fit_flashes_red_with_its_deciding_reasons_first(long_flash):
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(VerifierPanel)
        await place(pilot, "A", "dag")
        lines = verdict_of(app).splitlines()
        assert lines[0].startswith("✗ NOT THE BEST FIT") and "recommended: code-as-workflow replay" in lines[1]
        assert lines[2] == "Decided by (on DAG, on replay):"
        # the chips that rule the DAG out (the 30-day wait, the cancel signal) are the first reasons:
        # ✗ on the DAG, ✓ on replay
        assert lines[3] == "✗ ✓ 30-day wait → durable timer"
        assert lines[4].startswith("✗ ✓ ") and "cancelOrder" in lines[4] and "signal" in lines[4]
        assert panel.has_class("-flash") and panel.has_class("-wrong-fit") and not panel.has_class("-best-fit")
        colour = panel.styles.border_top[1]
        assert colour.r > 2 * colour.g, f"the flash is red, not {colour.hex}"
        await place(pilot, "B", "dag")
        assert "RIGHT FIT" in verdict_of(app)
        assert panel.has_class("-flash") and panel.has_class("-best-fit") and not panel.has_class("-wrong-fit")
        colour = panel.styles.border_top[1]
        assert colour.g > colour.r, f"the flash is green, not {colour.hex}"


@pytest.mark.parametrize("size", [(76, 21)], ids=["76x21"])  # the smallest; 80×24 is in the snapshots
async def test_the_headline_and_deciding_reasons_show_without_scrolling(size):
    """A projector at fontsize 28 (1280×720) gives about 76×21 cells: the verdict's head must fit."""
    app = WorkflowCanvasApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await place(pilot, "A", "dag")
        await pilot.pause()
        shown = screen_text(app)
        head = verdict_of(app).split("\nOrder fulfillment")[0].splitlines()
        assert len(head) >= 6 and head[-1].startswith("+ "), head  # headline, recommended, 4 reasons, "+ N more"
        for line in head:
            assert line[:30] in shown, f"{line!r} is not on the {size} screen:\n{shown}"
        assert "0 of 1 placed on their best model" in shown
        for zone in app.screen.query(EngineZone):
            assert f"─ {zone.border_title} ─" in shown, f"zone title {zone.border_title!r} is cut"


async def test_run_on_card_c_opens_its_own_first_scenario():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#card-C").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "run"
        assert (app.screen.workload, app.screen.scenario) == ("expense-approval", get_card("C").scenarios[0])
        assert app.screen.scenario == "approve"
        await settle(pilot)
        assert "UnknownWorkloadError" not in str(app.screen.query("*"))


async def test_run_on_a_card_without_a_workload_says_so_in_one_line(tmp_path):
    path = tmp_path / "invoice.toml"
    path.write_text(MY_CARD)  # a user's card: chips only, no workload to run
    app = WorkflowCanvasApp()
    app.user_cards = (load_card(path),)  # type: ignore[attr-defined]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.clear_notifications()
        assert app.screen.cards["G"].workload is None
        app.screen.query_one("#card-G").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "canvas"
        [note] = list(app._notifications)
        assert "Card G has no runnable workload" in note.message and "\n" not in note.message


async def test_the_o_key_adds_a_users_card_to_the_deck(tmp_path):
    good = tmp_path / "invoice.toml"
    good.write_text(MY_CARD)
    bad = tmp_path / "broken.toml"
    bad.write_text(MY_CARD.replace("signals = true", "signals = 1"))
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = [w.letter for w in app.screen.query(CardWidget)]
        # a bad card: one line naming the file and the field, the deck untouched, Escape leaves
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OpenCardScreen)
        app.screen.query_one(Input).value = str(bad)  # as pasted: typing it is slow in a test
        await pilot.press("enter")
        await pilot.pause()
        problem = static_text(app.screen.query_one("#open-card-problem"))
        assert "broken.toml" in problem and "chips.signals" in problem
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CanvasScreen)
        assert [w.letter for w in app.screen.query(CardWidget)] == before
        # the good card lands on the deck, focused, judged like any other
        await pilot.press("o")
        await pilot.pause()
        await pilot.press(*"~/x")  # keys reach the input
        assert app.screen.query_one(Input).value == "~/x"
        app.screen.query_one(Input).value = str(good)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CanvasScreen)
        card = app.screen.query_one("#card-G", CardWidget)
        assert card.parent.id == "zone-deck" and app.focused is card
        assert "Invoice chase" in str(card.render())
        await pilot.press("1")
        await settle(pilot)
        expected = choose_model(load_card(good), app.screen.weights).model
        assert app.screen.query_one("#card-G", CardWidget).stamp == ("✓" if expected == "replay" else "✗")
        assert "G on code-as-workflow replay" in verdict_of(app)


async def test_a_card_handed_to_the_app_is_on_the_deck(tmp_path):
    """What `workflow-canvas --card my.toml` hands over: the app's user_cards join the deck."""
    path = tmp_path / "invoice.toml"
    path.write_text(MY_CARD)
    clash = tmp_path / "clash.toml"
    clash.write_text(MY_CARD.replace('letter = "G"', 'letter = "A"').replace("invoice-chase", "other"))
    app = WorkflowCanvasApp()
    app.user_cards = (load_card(path), load_card(clash))  # type: ignore[attr-defined]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        letters = [w.letter for w in app.screen.query_one("#zone-deck").query(CardWidget)]
        assert letters == [c.letter for c in bundled_cards()] + ["G"]
        assert app.focused is app.screen.query_one("#card-G"), "the card the user brought starts focused"
        assert app.screen.cards["A"] == get_card("A"), "a clashing card never replaces a bundled one"
        assert any("clash.toml: letter: 'A' is already used" in n.message for n in app._notifications)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli.main", *args], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parents[2])


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (MY_CARD.replace("signals = true", 'signals = "yes"'), "chips.signals"),
        (MY_CARD.replace('letter = "G"', 'letter = "A"'), "letter"),
    ],
)
def test_a_bad_card_on_the_command_line_is_one_line_and_exit_1(tmp_path, text, field):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    proc = cli("--card", str(path))
    assert proc.returncode == 1
    assert proc.stdout == ""  # the app never started: nothing drawn
    [line] = proc.stderr.splitlines()
    assert line.startswith("workflow-canvas: error: mine.toml: ") and f": {field}: " in line


def test_a_good_card_on_the_command_line_is_checked_and_handed_to_the_app(tmp_path):
    from app.cli import main as cli_main

    path = tmp_path / "mine.toml"
    path.write_text(MY_CARD)
    assert cli_main.user_cards([str(path)]) == [load_card(path)]
    with pytest.raises(Exception, match=r"mine\.toml: letter: 'G' is already used"):
        cli_main.user_cards([str(path), str(path)])
    proc = cli("--card", str(path), "cards")
    assert proc.returncode == 1 and "--card: only when opening the app" in proc.stderr


def _run_tui_takes_cards() -> bool:
    import inspect

    from app.tui import run_tui

    return "cards" in inspect.signature(run_tui).parameters


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not _run_tui_takes_cards(), reason="app/tui.py run_tui(cards=…) is the lead's hand-off (H7's report)")
def test_workflow_canvas_card_opens_the_app_with_the_card_on_the_deck(tmp_path):
    """The real `workflow-canvas --card my.toml` in tmux: the user's card is on the deck, focused."""
    path = tmp_path / "mine.toml"
    path.write_text(MY_CARD)
    socket = f"wc-card-{os.getpid()}"
    cli_path = Path(sys.executable).with_name("workflow-canvas")
    tmux = ["tmux", "-L", socket]
    subprocess.run([*tmux, "new-session", "-d", "-s", "wc", "-x", "80", "-y", "24",
                    "-e", f"WORKFLOW_CANVAS_HOME={tmp_path / 'home'}", "-e", "TERM=xterm-256color",
                    str(cli_path), "--card", str(path)], check=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "wc"], capture_output=True, text=True).stdout
            if "Invoice chase" in screen:
                break
            assert time.monotonic() < deadline, f"the card never showed; the screen was:\n{screen}"
            time.sleep(0.1)
        assert "G → code-as-workflow" in screen.replace("\n", " ") or "G →" in screen, "its recommendation shows"
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
