"""A monkey: hundreds of random keys, clicks, drags and resizes on every screen (bench/monkey.py: 10,000); no crash.

Events go in through the driver, as a terminal's input does (no waiting after each one, so
keys arrive faster than a person types: that found three races in Textual's command palette,
see app/palette.py). "q" is left out (quitting is not a crash), and so is "t": a theme switch
re-parses every stylesheet, too slow to repeat hundreds of times (test_help_palette covers it).
"""

from __future__ import annotations

import random

from textual import events

from app.canvas_app import WorkflowCanvasApp

from .conftest import settle

KEYS = (
    list("abcdefghijklmnoprsuvwxyz0123456789")
    + ["space", "enter", "tab", "shift+tab", "escape", "up", "down", "left", "right", "home", "end",
       "pageup", "pagedown", "plus", "minus", "question_mark", "left_square_bracket",
       "right_square_bracket", "backspace", "ctrl+p", "period", "comma", "f1"]
)
CHARACTERS = {"space": " ", "plus": "+", "minus": "-", "question_mark": "?", "period": ".", "comma": ",",
              "left_square_bracket": "[", "right_square_bracket": "]", "enter": "\r", "tab": "\t",
              "escape": "\x1b", "backspace": "\x7f"}
MODES = ("canvas", "run", "history", "lessons")
KEYS_PER_MODE = 80
MOUSE_PER_MODE = 15  # each a click or a drag (down, move, up)
SIZE = (80, 24)
#: Terminal sizes a resize picks from: the classroom's 76x21 (fontsize 28 at 1280x720), the common ones, a tiny one.
SIZES = ((80, 24), (76, 21), (120, 40), (200, 50), (40, 12), (100, 30))
RESIZES_PER_MODE = 3  # a resize re-lays out the whole screen (the run view's three pictures): few in the suite


def key_event(key: str) -> events.Key:
    return events.Key(key, key if len(key) == 1 else CHARACTERS.get(key))


def mouse(kind, x: int, y: int, button: int = 1):
    return kind(None, x, y, 0, 0, button, False, False, False, x, y)


async def monkey(mode: str, rng: random.Random, *, keys: int = KEYS_PER_MODE, clicks: int = MOUSE_PER_MODE,
                 resizes: int = RESIZES_PER_MODE) -> int:
    """Random input on one screen of a fresh app; returns how many events it took.

    Events go through the driver as a terminal's would, resizes too (a terminal window dragged,
    a browser tab zoomed), so a widget laid out for one size meets input meant for another.
    """
    app = WorkflowCanvasApp()
    sent = 0
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.action_switch_mode(mode)
        await settle(pilot)
        driver = app._driver
        plan = ["key"] * keys + ["mouse"] * clicks
        plan += ["resize"] * resizes
        rng.shuffle(plan)
        width, height = SIZE
        for i, what in enumerate(plan):
            if what == "key":
                driver.process_message(key_event(rng.choice(KEYS)))
            elif what == "resize":
                width, height = rng.choice(SIZES)
                await pilot.resize_terminal(width, height)
            else:
                x, y = rng.randrange(width), rng.randrange(height)
                driver.process_message(mouse(events.MouseDown, x, y))
                if rng.random() < 0.5:  # a drag
                    x, y = rng.randrange(width), rng.randrange(height)
                    driver.process_message(mouse(events.MouseMove, x, y))
                driver.process_message(mouse(events.MouseUp, x, y))
            sent += 1
            if i % 20 == 19:
                await pilot.pause()
            if not app.is_running:  # the palette's "Quit" is a way out, not a crash
                break
        await settle(pilot)
    assert app._exception is None, app._exception
    return sent


async def test_random_keys_clicks_and_drags_on_every_screen_never_crash():
    rng = random.Random(1001)
    total = 0
    for mode in MODES:
        total += await monkey(mode, rng)
    assert total >= len(MODES) * KEYS_PER_MODE  # every key was sent (clicks and resizes on top)
