"""The design canvas: mouse drag and keyboard path place a card; the verifier and the weights answer."""

from __future__ import annotations

from app.canvas_app import WorkflowCanvasApp
from app.screens.canvas import CanvasScreen
from app.widgets.card import CardWidget, DragGhost
from app.widgets.weights import WeightsTable
from workloads.cards import bundled_cards, get_card
from workloads.choose import MODEL_TITLES, choose_model

from .conftest import SIZE, settle, static_text


def verdict_of(app) -> str:
    return static_text(app.screen.query_one("#verdict"))


async def test_the_deck_holds_every_bundled_card():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CanvasScreen)
        letters = [w.letter for w in app.screen.query_one("#zone-deck").query(CardWidget)]
        assert letters == [c.letter for c in bundled_cards()]
        text = str(app.screen.query_one("#card-A").render())
        assert get_card("A").title in text and "✓" in text


async def test_mouse_drag_places_a_card_and_the_verifier_judges_it():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert await pilot.mouse_down("#card-A", offset=(2, 0))
        await pilot.hover("#zone-dag", offset=(4, 3))
        assert app.screen.query(DragGhost), "a ghost follows the pointer"
        assert app.screen.query_one("#zone-dag").has_class("-drop-target")
        await pilot.mouse_up("#zone-dag", offset=(4, 3))
        await settle(pilot)
        assert app.screen.query_one("#card-A").parent.id == "zone-dag"
        assert app.screen.placement["A"] == "dag"
        assert not app.screen.query(DragGhost) and app.mouse_captured is None
        text = verdict_of(app)
        assert "NOT THE BEST FIT" in text and "recommended: code-as-workflow replay" in text
        assert "durable timer (scene 07)" in text and "signal (scene 08)" in text
        assert "Evidence from running it" in text


async def test_keyboard_path_places_a_card_and_the_verifier_judges_it():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#card-B").focus()
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one("#card-B").parent.id == "zone-dag"
        text = verdict_of(app)
        assert "RIGHT FIT" in text and "Nightly" in text
        assert "DAG scheduler (scene 12)" in text
        # the re-mounted card keeps focus, so keys chain; 0 puts it back on the deck
        await pilot.press("0")
        await settle(pilot)
        assert app.screen.query_one("#card-B").parent.id == "zone-deck"


async def test_a_click_is_not_a_drop():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#card-B", offset=(2, 0))
        await settle(pilot)
        assert app.screen.query_one("#card-B").parent.id == "zone-deck"
        assert app.focused is app.screen.query_one("#card-B")


async def test_weights_change_the_recommendation_live():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        app.screen.query_one("#card-A").focus()
        await pilot.pause()
        before = static_text(screen.query_one("#recommendation"))
        table = screen.query_one(WeightsTable)
        table.focus()
        card = get_card("A")
        # zero every requirement card A has that pulls toward replay, raise the DAG's
        for row, key in enumerate(list(table.weights)):
            table.move_cursor(row=row)
            await pilot.pause()
            while card.chips.get(key) and table.weights[key] > 0:
                await pilot.press("minus")
        await pilot.pause()
        after = static_text(screen.query_one("#recommendation"))
        assert after != before
        assert all(table.weights[k] == 0 for k, present in card.chips.items() if present and k in table.weights)
        expected = choose_model(card, table.weights)
        assert MODEL_TITLES[expected.model] in after
        assert screen.weights == table.weights


async def test_run_on_a_card_opens_the_side_by_side_run():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#card-A").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "run"
        assert app.screen.workload == get_card("A").workload
