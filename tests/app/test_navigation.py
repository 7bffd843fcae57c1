"""A newcomer finds the four screens: their keys in every footer, a first-run hint, q that asks when served."""

from __future__ import annotations

from app.canvas_app import FIRST_RUN_HINT, HINT_MARKER, WorkflowCanvasApp, state_dir
from app.serve.confirm_quit import ConfirmQuit
from app.widgets.footer import ScreenKeys

from .conftest import screen_text, settle

MODES = {"canvas": "c", "run": "s", "history": "i", "lessons": "l"}


def footer_line(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_every_screen_shows_the_four_screen_keys_in_its_footer_the_current_one_lit():
    app = WorkflowCanvasApp()
    async with app.run_test(size=(76, 21)) as pilot:  # a projector's cells: the keys alone
        await settle(pilot)
        for mode, key in MODES.items():
            await pilot.press(key)
            await settle(pilot)
            assert app.current_mode == mode
            assert footer_line(app).startswith("c s i l ")  # at the footer's left, not scrolled away
            rendered = app.screen.query_one(ScreenKeys).render()
            lit = [rendered.plain[s.start:s.end] for s in rendered.spans if "reverse" in str(s.style)]
            assert lit == [key]  # the screen you are on


async def test_wide_the_keys_carry_names_a_click_switches_and_a_keymap_key_is_shown():
    app = WorkflowCanvasApp(keymap={"app.lessons": "f5"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = footer_line(app)
        assert line.startswith("c Canvas s Run view i Inspect f5 Lessons")  # the user's own key for lessons
        keys = app.screen.query_one(ScreenKeys)
        await pilot.click(ScreenKeys, offset=(keys.render().plain.index("i Inspect") + 1, 0))
        await settle(pilot)
        assert app.current_mode == "history"
        await pilot.press("f5")
        await settle(pilot)
        assert app.current_mode == "lessons"


async def test_the_first_run_hint_names_the_13_lessons_and_their_key_once_per_user():
    assert "13 lessons" in FIRST_RUN_HINT and "press l" in FIRST_RUN_HINT
    headless = WorkflowCanvasApp()  # tests, screenshots: no hint unless asked, and no marker spent
    async with headless.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert FIRST_RUN_HINT not in [n.message for n in headless._notifications]
    assert not (state_dir() / HINT_MARKER).exists()

    app = WorkflowCanvasApp(first_run_hint=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:  # run_test hides toasts unless asked
        await settle(pilot)
        await pilot.pause(0.2)
        assert "13 lessons" in screen_text(app)  # the toast is on screen
        await pilot.press("l")  # heard: the lessons key takes it away
        await settle(pilot)
        await pilot.pause(0.2)
        assert "13 lessons" not in screen_text(app) and app.current_mode == "lessons"
    assert (state_dir() / HINT_MARKER).is_file()

    again = WorkflowCanvasApp(first_run_hint=True)
    async with again.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert FIRST_RUN_HINT not in [n.message for n in again._notifications]


async def test_q_asks_before_ending_a_served_session_and_n_keeps_it():
    app = WorkflowCanvasApp(confirm_quit=True)  # what a web driver gets (test_serve_browser drives the real one)
    async with app.run_test(size=(76, 21)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit)
        assert "End this session?" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmQuit) and app.is_running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("enter")  # the focused button is "Stay": Enter straight after q keeps the session
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmQuit) and app.is_running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running
