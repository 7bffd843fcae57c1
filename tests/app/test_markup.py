"""Text from cards, scene files and key bindings is shown as text: never read as Rich markup, no
control character reaching the terminal.

A user's card titled `[/red] [beta] \\x1b[2J` used to crash the canvas ("closing tag '[/red]' doesn't
match any open tag"), lose "[beta]" (read as a style) and clear the student's terminal.
"""

from __future__ import annotations

from app.canvas_app import WorkflowCanvasApp
from app.screens.canvas import CanvasScreen
from app.screens.help import HelpScreen, KeyHelp
from app.screens.lesson import LessonScreen
from app.widgets.card import CardWidget, DragGhost, plain, terminal_safe
from lessons.scenes import all_scenes
from workloads.cards import Card, bundled_cards

from .conftest import SIZE, screen_text, settle

HOSTILE = "[/red] [beta] \x1b[2J"
SHOWN = "[/red] [beta] [2J"  # the ESC dropped, every bracket kept


def _hostile_card() -> Card:
    """A user's card, as a card file would give it: a bundled card's chips under a hostile title."""
    model = bundled_cards()[0]
    return Card(id="hostile", letter="Z", title=HOSTILE, story="A story [bold]with markup[/bold].",
                chips=dict(model.chips), labels={}, workload=None)


def test_terminal_safe_drops_control_characters_and_keeps_the_rest():
    assert terminal_safe(HOSTILE) == SHOWN
    assert terminal_safe("a\tb\nc\x07\x9b\x7fd") == "a\tb\ncd"
    assert plain(HOSTILE).plain == SHOWN and plain(HOSTILE).spans == []


async def test_a_hostile_card_title_is_shown_literally_on_the_deck_while_dragged_and_in_help():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CanvasScreen)
        card = _hostile_card()
        screen.cards[card.letter] = card
        screen.placement[card.letter] = "deck"
        deck = screen.query_one("#zone-deck")
        await deck.mount(CardWidget(card), before=0)
        deck.scroll_home(animate=False)
        await settle(pilot)
        text = screen_text(app)
        assert SHOWN in text and "\x1b" not in text
        assert "[beta]" in str(screen.query_one("#card-Z").render())

        assert await pilot.mouse_down("#card-Z", offset=(2, 0))
        await pilot.hover("#zone-replay", offset=(4, 3))
        ghost = screen.query_one(DragGhost)
        assert f"Z · {SHOWN}" in str(ghost.render())
        await pilot.mouse_up("#zone-replay", offset=(4, 3))
        await settle(pilot)
        assert screen.placement["Z"] == "replay"
        text = screen_text(app)
        assert SHOWN in text and "\x1b" not in text

        # Help: a DataTable reads str cells as markup; a key shown as "[" or a binding's words stay literal.
        rows = [KeyHelp("[", HOSTILE, "[/b]app", binding_id="x.[y]")]
        await app.push_screen(HelpScreen(rows, "canvas [/u]"))
        await settle(pilot)
        text = screen_text(app)
        assert SHOWN in text and "[/b]app" in text and "x.[y]" in text and "canvas [/u]" in text
        assert "\x1b" not in text


async def test_a_hostile_scene_is_shown_literally_in_the_list_the_title_and_the_text():
    scenes = all_scenes()
    hostile = scenes[0].model_copy(update={"title": HOSTILE, "summary": "sum [/i] \x1b]0;pwned\x07",
                                           "terms": ["[link=x]t[/link]"], "body": f"# Body {HOSTILE}\n\n[red]x[/red]\n"})
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        screen.post_message(LessonScreen.ScenesLoaded([hostile, *scenes[1:]]))
        await settle(pilot)
        text = screen_text(app)
        assert SHOWN in text and "\x1b" not in text and "\x07" not in text
        assert "sum [/i] ]0;pwned" in text and "[link=x]t[/link]" in text
        assert "[red]x[/red]" in text
