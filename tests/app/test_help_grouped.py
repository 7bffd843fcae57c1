"""Help is grouped by task, this screen's keys first, with no widget class names and no scrolling keys."""

from __future__ import annotations

from textual.widgets import DataTable

from app.canvas_app import WorkflowCanvasApp
from app.screens.help import ANYWHERE, CANVAS, INSPECTOR, LESSON, MOVE, RUN, HelpScreen

from .conftest import screen_text, settle

#: What the old help showed before the keys that matter: widget classes and their scrolling keys.
CLASS_NAMES = ("CardWidget", "EngineZone", "OptionList", "LessonScreen", "CanvasScreen", "DataTable", "Markdown")
SCROLLING = ("Scroll", "Page Up", "Page Down", "Page Left", "pgup", "First", "Last")


def help_rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#help-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def headings(rows) -> list[str]:
    return [row[1] for row in rows if not row[0] and not row[2]]


def group(rows, name: str) -> dict[str, str]:
    """description -> keys of the rows under heading `name`."""
    start = next(i for i, row in enumerate(rows) if row[1] == name and not row[0])
    out = {}
    for row in rows[start + 1:]:
        if not row[0] and not row[2]:
            break
        out[row[1]] = row[0]
    return out


async def test_help_puts_this_screens_keys_first_then_moving_then_anywhere_on_every_screen():
    app = WorkflowCanvasApp(keymap={"lesson.next": "pagedown", "run.play": "f6"})
    async with app.run_test(size=(76, 21)) as pilot:
        await settle(pilot)
        for key, first in (("l", LESSON), ("s", RUN), ("i", INSPECTOR), ("c", CANVAS)):
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            rows = help_rows(app)
            names = headings(rows)
            assert names[:3] == [first, MOVE, ANYWHERE]
            assert set(names) == {LESSON, RUN, CANVAS, INSPECTOR, MOVE, ANYWHERE}
            assert group(rows, MOVE) == {"Canvas": "c", "Run view": "s", "Inspect": "i", "Lessons": "l"}
            everything = " ".join(" ".join(row) for row in rows) + screen_text(app)
            assert not [name for name in CLASS_NAMES if name in everything]
            assert not [word for word in SCROLLING if word in everything]
            # every live binding with an id (the app's own actions) is in it: read from the bindings, not a list
            live = {b.binding.id for b in app.screen_stack[-2].active_bindings.values() if b.binding.id}
            assert live <= {row[2] for row in rows}
            if first == LESSON:
                lesson = group(rows, LESSON)
                assert lesson["Next scene"] == "pgdn"  # the user's key, from the keymap (it replaces n and ])
                assert lesson["Previous"] == "p / [" and lesson["Run demo"] == "r" and lesson["Leave the box"] == "esc"
                anywhere = group(rows, ANYWHERE)
                assert anywhere["Help"] == "? / f1" and anywhere["Quit"] == "q" and "Command palette" in anywhere
                assert group(rows, RUN)["Play"] == "f6"  # another screen's key, moved too
                assert "Keys — Lessons" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)
