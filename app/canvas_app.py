"""The Textual application: four modes (canvas, run, history, lessons), help, palette, themes.

The app holds no engine or verdict logic; screens call the public functions of workloads/ and
lessons/ in workers. Screens other than the canvas are imported on first use, so the first frame
does not wait for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence, TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from app.commands import CanvasCommands
from app.messages import OpenMode, OpenRun, RunsUpdated
from app.themes import DEFAULT_THEME, PROJECTOR, THEMES, unreadable_builtin_themes

if TYPE_CHECKING:
    from workloads.cards import Card
    from workloads.runs import WorkloadRun


def _canvas() -> Screen:
    from app.screens.canvas import CanvasScreen

    return CanvasScreen()


def _run() -> Screen:
    from app.screens.run import RunScreen

    return RunScreen()


def _history() -> Screen:
    from app.screens.history import HistoryScreen

    return HistoryScreen()


def _lessons() -> Screen:
    from app.screens.lesson import LessonScreen

    return LessonScreen()


#: The first-run hint: once per user, so a newcomer learns the course exists and where it is.
FIRST_RUN_HINT = ("New here? 13 lessons teach it, one idea each: press l.\n"
                  "c canvas · s run view · i inspect · l lessons · ? keys")
HINT_MARKER = "first-run-hint-shown"


def state_dir() -> Path:
    """Where the app keeps what it remembers about its user ($WORKFLOW_CANVAS_HOME/state if set)."""
    from app.cli.common import APP_NAME, HOME_ENV

    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / "state"
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME, appauthor=False))


def take_first_run() -> bool:
    """True once per user (a marker file in the state directory), False ever after.

    A state directory that cannot be written (read-only home) means no hint rather than a crash,
    and no marker, so the hint comes again next time: a hint too many beats a crash.
    """
    marker = state_dir() / HINT_MARKER
    if marker.exists():
        return False
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("The first-run hint (the 13 lessons, key l) was shown.\n", encoding="utf-8")
    except OSError:
        pass
    return True


MODE_TITLES = {"canvas": "Design canvas", "run": "Side-by-side run", "history": "History inspector", "lessons": "Lessons"}


class WorkflowCanvasApp(App[None]):
    """Workflow Canvas: ORDER #1001 on three engines."""

    TITLE = "Workflow Canvas"
    SUB_TITLE = "ORDER #1001 on three engines"
    CSS_PATH = Path(__file__).with_name("canvas_app.tcss")  # absolute: subclasses live elsewhere
    COMMANDS = App.COMMANDS | {CanvasCommands}
    MODES = {"canvas": _canvas, "run": _run, "history": _history, "lessons": _lessons}
    DEFAULT_MODE = "canvas"
    # The four screens' keys are shown by the footer's ScreenKeys (show=False keeps them out of its key list).
    BINDINGS = [
        Binding("c", "switch_mode('canvas')", "Canvas", id="app.canvas", show=False, tooltip="The design canvas"),
        Binding("s", "switch_mode('run')", "Run view", id="app.run_view", show=False, tooltip="Run ORDER #1001 on the three engines"),
        Binding("i", "switch_mode('history')", "Inspect", id="app.inspect", show=False, tooltip="History inspector"),
        Binding("l", "switch_mode('lessons')", "Lessons", id="app.lessons", show=False, tooltip="The 13 scenes of the course"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="Every key that works here"),
        Binding("t", "toggle_projector", "Projector", id="app.projector", show=False, tooltip="Light high-contrast theme"),
        Binding("q", "quit", "Quit", id="app.quit"),
        # A text box takes every printable key: Escape leaves whichever one has focus, so the keys work again.
        Binding("escape", "leave_input", "Leave the text box", id="app.leave_input", show=False,
                tooltip="Out of a text box, so the screen's keys work again"),
    ]

    def __init__(self, *, theme: str | None = None, keymap: Mapping[str, str] | None = None,
                 first_run_hint: bool | None = None, confirm_quit: bool | None = None,
                 cards: Sequence[Card] = ()) -> None:
        """`first_run_hint`: None shows it once per user when the app runs on a real terminal or
        browser (not in tests, headless); `confirm_quit`: None asks before quitting when served;
        `cards`: a user's own cards (`--card FILE.toml`, already checked), added to the deck."""
        super().__init__()
        self.user_cards: tuple[Card, ...] = tuple(cards)
        self.first_run_hint = first_run_hint
        self.confirm_quit = confirm_quit
        #: The first-run hint is up; the lessons key, once pressed, takes it away (it was heard).
        self.hint_showing = False
        for extra in THEMES:
            self.register_theme(extra)
        for unreadable in unreadable_builtin_themes():  # offered themes must read from the back row
            self.unregister_theme(unreadable)
        self.theme = theme or DEFAULT_THEME
        if keymap:  # binding id -> keys (app.keymap checks a user's file before it gets here)
            self.set_keymap(dict(keymap))
        #: The last side-by-side result (engine -> WorkloadRun); the history inspector reads it.
        self.latest_runs: dict[str, WorkloadRun] | None = None
        #: False until the first frame is on screen; the canvas loads its deck after it.
        self.first_frame = False

    def on_ready(self) -> None:
        self.first_frame = True
        wanted = (not self.is_headless) if self.first_run_hint is None else self.first_run_hint
        if wanted and take_first_run():
            # after the first frame's refresh: a toast raised before the screen's toast rack is up is never drawn
            self.call_after_refresh(self.notify, FIRST_RUN_HINT, title="Welcome", timeout=15, markup=False)
            self.hint_showing = True
        first_frame_shown = getattr(self.screen, "first_frame_shown", None)
        if first_frame_shown is not None:
            first_frame_shown()

    # ---- modes
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_input":
            from textual.widgets import Input

            return isinstance(self.focused, Input)
        if action == "switch_mode" and parameters and parameters[0] == self.current_mode:
            return None  # shown dimmed: you are already there
        return True

    async def action_switch_mode(self, mode: str) -> None:
        await self.switch_mode(mode)
        if mode == "lessons" and self.hint_showing:
            self.hint_showing = False
            self.clear_notifications()
        self.sub_title = MODE_TITLES.get(mode, mode)
        self.refresh_bindings()

    async def open_run(self, workload: str, scenario: str = "happy", day: float | None = None) -> None:
        """Show the side-by-side run of `workload` (attributes down: the run screen loads it)."""
        screen = await self._base_screen("run")
        screen.load(workload, scenario, day)  # type: ignore[attr-defined]

    async def open_scene(self, number: str) -> None:
        screen = await self._base_screen("lessons")
        screen.show_scene(number)  # type: ignore[attr-defined]

    async def _base_screen(self, mode: str) -> Screen:
        """Switch to `mode`, closing any modal (help) left open there, and return its screen."""
        await self.action_switch_mode(mode)
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        return self.screen

    def runs_updated(self, runs: dict[str, WorkloadRun]) -> None:
        self.latest_runs = runs

    # ---- what screens ask for (messages up)
    def on_runs_updated(self, message: RunsUpdated) -> None:
        self.runs_updated(message.runs)

    async def on_open_run(self, message: OpenRun) -> None:
        await self.open_run(message.workload, message.scenario, message.day)

    async def on_open_mode(self, message: OpenMode) -> None:
        await self.action_switch_mode(message.mode)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        from app.palette import SafeCommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(SafeCommandPalette(id="--command-palette"))

    def action_leave_input(self) -> None:
        self.screen.set_focus(None)

    # ---- quitting: a served tab asks first
    async def action_quit(self) -> None:
        asks = self.is_web if self.confirm_quit is None else self.confirm_quit
        if not asks:
            self.exit()
            return
        from app.serve.confirm_quit import ConfirmQuit

        if isinstance(self.screen, ConfirmQuit):
            return

        def answered(quit_: bool | None) -> None:
            if quit_:
                self.exit()

        self.push_screen(ConfirmQuit(), answered)

    # ---- help and theme
    def action_help(self) -> None:
        from app.screens.canvas import CanvasScreen
        from app.screens.help import HelpScreen, live_key_help
        from app.screens.history import HistoryScreen
        from app.screens.lesson import LessonScreen
        from app.screens.run import RunScreen
        from app.widgets.card import CardWidget
        from app.widgets.knobs import KnobControl
        from app.widgets.weights import WeightsTable

        if isinstance(self.screen, HelpScreen):
            return
        # The keys that work here, then what the other screens offer (card and weight keys work
        # once a card or a weight has focus, so the canvas lists them too).
        others = (WorkflowCanvasApp, CanvasScreen, CardWidget, WeightsTable, LessonScreen, KnobControl, RunScreen,
                  HistoryScreen)
        rows = live_key_help(self.screen, others)
        self.push_screen(HelpScreen(rows, MODE_TITLES.get(self.current_mode, self.current_mode), self.current_mode))

    def action_toggle_projector(self) -> None:
        self.theme = DEFAULT_THEME if self.theme == PROJECTOR.name else PROJECTOR.name
        self.notify(f"Theme: {self.theme}", timeout=2)
