"""A mouse-down on a widget being replaced must not take the app down.

Textual resolves a press against the last frame drawn and starts a text selection in the pressed
widget's parent. A widget removed since that frame has no parent, and Textual's selection code
died with `AttributeError: 'NoneType' object has no attribute 'region'`. Two places did it for
users: the "Loading the deck…" note while the cards arrive (rapid clicks at start-up), and the
lesson text right after `n` (Markdown replaces its blocks). Each test below makes the press
arrive between the replacement and the next frame, as a terminal's fast clicks do.
"""

from __future__ import annotations

from textual import events

from app.canvas_app import WorkflowCanvasApp
from app.screens.canvas import CanvasScreen, DeckNote
from app.screens.lesson import LessonScreen
from app.widgets.card import CardWidget

from .conftest import SIZE, settle


def _press(app, x: int, y: int) -> None:
    """A terminal's mouse press and release at (x, y), queued as the driver queues them."""
    for kind in (events.MouseDown, events.MouseUp, events.Click):
        app.post_message(kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y))


class HeldCanvas(CanvasScreen):
    """The canvas as it is during start-up: the note drawn, the cards not loaded yet."""

    def load_cards(self) -> None:  # type: ignore[override]  # the test delivers the cards itself
        pass


async def test_rapid_clicks_on_the_loading_note_while_the_deck_arrives():
    from workloads.cards import bundled_cards
    from workloads.choose import default_weights

    cards, weights = bundled_cards(), default_weights()
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = HeldCanvas()
        await app.push_screen(screen)
        await settle(pilot)
        note = screen.query_one("#deck-note", DeckNote)
        assert not note.allow_select  # nothing to select in it, and it is about to go
        x, y = note.region.x + 2, note.region.y
        screen.post_message(CanvasScreen.CardsLoaded(cards, {k: float(v) for k, v in weights.items()},
                                                     {k: k for k in weights}))
        for _ in range(8):  # the clicks land while the note is removed and the cards mounted
            _press(app, x, y)
        await settle(pilot)
        assert app.is_running and app._exception is None
        assert app.screen is screen and not screen.query(DeckNote)
        assert [w.letter for w in screen.query_one("#zone-deck").query(CardWidget)] == [c.letter for c in cards]


async def test_clicks_on_the_lesson_text_right_after_next():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        text = screen.query_one("#scene-text").region
        for step in range(4):
            screen.action_move(1)  # what `n` does: the Markdown's blocks are replaced
            for dy in range(1, 5):
                _press(app, text.x + 4, text.y + dy)
            await pilot.pause(0.05)
        await settle(pilot)
        assert app.is_running and app._exception is None
        assert screen.index == 4
