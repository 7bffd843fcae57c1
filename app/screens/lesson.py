"""The course walkthrough: the 13 scenes in order, each with its text, knobs and live demo.

Scene text and knobs come from lessons.scenes; the demo from lessons.demos.run_demo, run in a
thread so the screen stays live. Scene 12 opens the design canvas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Header, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from app.messages import OpenMode, RunsUpdated
from app.screens.guarded import GuardedScreen
from app.widgets.card import plain, terminal_safe
from app.widgets.demo_result import demo_view
from app.widgets.footer import Footer
from app.widgets.knobs import KnobControl

if TYPE_CHECKING:
    from lessons.demos.result import DemoResult
    from lessons.scenes import Scene

CANVAS_SCENE = "12"


def scene_entry(display: str, title: str) -> Table:
    """A scene in the list: its number, then its whole title wrapped beside it (never cut)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right", no_wrap=True)
    grid.add_column()
    grid.add_row(plain(display), plain(title))
    return grid


def demo_text(result: DemoResult) -> RenderableType:
    """A DemoResult: headline, the figures the scene is about (a table), then the account in order."""
    return demo_view(result.headline, result.figures, result.lines)


class DemoResultView(Static):
    """The demo's result; `show_from_top` brings its headline to the top of the scene pane.

    The pane can only scroll that far once the new, taller result is laid out, which happens a
    refresh or two after `update`: so it scrolls after the next refresh, and again when the
    result's size changes (whichever comes last wins; a scroll is never clamped to the old size).
    """

    _wanted = False

    def show_from_top(self) -> None:
        self._wanted = True
        self.call_after_refresh(self._scroll)

    def _scroll(self) -> None:
        if self._wanted:
            self.scroll_visible(animate=False, top=True)

    def on_resize(self) -> None:
        if self._wanted:
            self._scroll()
            self._wanted = False


class LessonScreen(GuardedScreen):
    """Scene list on the left; the scene's Markdown, knobs, demo and result on the right."""

    CSS_PATH = Path(__file__).with_name("lesson.tcss")  # absolute: subclasses live elsewhere
    BINDINGS = [
        Binding("n,right_square_bracket", "move(1)", "Next scene", id="lesson.next", tooltip="The next scene"),
        Binding("p,left_square_bracket", "move(-1)", "Previous", id="lesson.previous", tooltip="The previous scene"),
        Binding("r", "run_demo", "Run demo", id="lesson.run_demo", tooltip="Run this scene's demo on the real engines with these knobs"),
        Binding("o", "open_canvas", "Open canvas", id="lesson.open_canvas", tooltip="Scene 12 is the design canvas"),
    ]

    class ScenesLoaded(Message):
        def __init__(self, scenes: list[Scene], problem: str = "") -> None:
            super().__init__()
            self.scenes = scenes
            self.problem = problem

    class DemoDone(Message):
        def __init__(self, seq: int, result: DemoResult | None = None, problem: str = "") -> None:
            super().__init__()
            self.seq = seq
            self.result = result
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.scenes: list[Scene] = []
        self.index = 0
        self._pending: str | None = None
        self._demo_seq = 0
        self.demo_running = False

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Horizontal(id="lesson-body"):
            yield OptionList(id="scene-list")
            with VerticalScroll(id="scene-pane"):
                yield Static("Loading the scenes…", id="scene-title")
                yield Markdown("", id="scene-text")
                with Vertical(id="demo-box"):
                    yield Vertical(id="knobs")
                    with Horizontal(id="demo-buttons"):
                        yield Button("Run demo", id="run-demo", variant="primary")
                        yield Button("Open the canvas", id="open-canvas")
                    yield DemoResultView("", id="demo-result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#demo-box").border_title = "Live demo"
        self.load_scenes()

    @work(thread=True, exclusive=True, group="scenes-load")
    def load_scenes(self) -> None:
        from lessons.scenes import all_scenes

        self.post_message(self.ScenesLoaded(all_scenes()))

    @on(ScenesLoaded)
    def scenes_loaded(self, event: ScenesLoaded) -> None:
        if not event.scenes:
            self.query_one("#scene-title", Static).update(plain(event.problem))  # quotes the file: not markup
            return
        self.scenes = event.scenes
        options = self.query_one("#scene-list", OptionList)
        options.clear_options()
        options.add_options(
            Option(scene_entry(s.display, s.title), id=s.number) for s in self.scenes
        )
        wanted = self._pending or self.scenes[0].number
        self._pending = None
        self.show_scene(wanted)

    # ---- navigation (attributes down: the app may ask for a scene)
    def show_scene(self, number: str) -> None:
        """Show scene `number` ("07", "7", "6.5" or "06a")."""
        if not self.scenes:
            self._pending = number
            return
        for i, scene in enumerate(self.scenes):
            if number in (scene.number, scene.display) or number.lstrip("0") == scene.number.lstrip("0"):
                self._show(i)
                return
        self.notify(f"No scene {terminal_safe(repr(number))}.", severity="warning", markup=False)

    def _show(self, index: int) -> None:
        self.index = index
        scene = self.scenes[index]
        self.query_one("#scene-title", Static).update(
            Text.assemble((f" Scene {terminal_safe(scene.display)} ", "bold reverse"), " ", plain(scene.title, "bold"),
                          "\n", plain(scene.summary, "italic"), "\n", plain("terms: " + ", ".join(scene.terms), "dim"))
        )
        self.query_one("#scene-text", Markdown).update(terminal_safe(scene.body))
        options = self.query_one("#scene-list", OptionList)
        options.highlighted = index
        knobs = self.query_one("#knobs", Vertical)
        knobs.remove_children()
        knobs.mount_all(KnobControl(k) for k in scene.knobs)
        self.query_one("#open-canvas", Button).display = scene.number == CANVAS_SCENE
        self._demo_seq += 1  # a demo still running belongs to the previous scene: its result is dropped
        self.query_one("#demo-result", Static).update(
            Text("Turn the knobs, then press r (or Run demo) to run it on the real engines.", style="dim")
        )
        self.query_one("#scene-pane", VerticalScroll).scroll_home(animate=False)
        self.refresh_bindings()

    @property
    def scene(self) -> Scene | None:
        return self.scenes[self.index] if self.scenes else None

    def action_move(self, step: int) -> None:
        if self.scenes:
            self._show(max(0, min(len(self.scenes) - 1, self.index + step)))

    @on(OptionList.OptionSelected, "#scene-list")
    def picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and (self.scene is None or event.option.id != self.scene.number):
            self.show_scene(event.option.id)

    # ---- the demo
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_canvas":
            return self.scene is not None and self.scene.number == CANVAS_SCENE
        if action == "run_demo":
            return None if self.demo_running or self.scene is None else True
        return True

    @on(Button.Pressed, "#run-demo")
    def run_pressed(self) -> None:
        self.action_run_demo()

    @on(Button.Pressed, "#open-canvas")
    async def canvas_pressed(self) -> None:
        await self.action_open_canvas()

    async def action_open_canvas(self) -> None:
        if self.scene is not None and self.scene.number == CANVAS_SCENE:
            self.post_message(OpenMode("canvas"))

    def action_run_demo(self) -> None:
        if self.scene is None or self.demo_running:
            return
        try:
            knobs = {control.knob.name: control.value() for control in self.query(KnobControl)}
        except ValueError as exc:
            self.notify(terminal_safe(str(exc)), severity="error", markup=False)
            return
        self._demo_seq += 1
        self.demo_running = True
        self.refresh_bindings()
        self.query_one("#demo-result", Static).update(Text(f"Running scene {self.scene.display}'s demo…", style="italic"))
        self.run_demo(self._demo_seq, self.scene.number, knobs)

    @work(thread=True, exclusive=True, group="demo")
    def run_demo(self, seq: int, number: str, knobs: dict[str, Any]) -> None:
        from lessons.demos import run_demo

        try:
            result = run_demo(number, **knobs)
        except Exception as exc:  # a failing demo is shown, not fatal
            self.post_message(self.DemoDone(seq, problem=f"The demo failed: {type(exc).__name__}: {exc}"))
            return
        self.post_message(self.DemoDone(seq, result))

    @on(DemoDone)
    def demo_done(self, event: DemoDone) -> None:
        self.demo_running = False  # one demo thread at a time, whichever scene it was for
        self.refresh_bindings()
        if event.seq != self._demo_seq:
            return
        out = self.query_one("#demo-result", Static)
        if event.result is None:
            out.update(Text(event.problem, style="bold red"))
        else:
            out.update(demo_text(event.result))
            if event.result.runs:
                self.post_message(RunsUpdated(event.result.runs))
        if isinstance(out, DemoResultView):  # the result from its headline down, on a 21-row projector too
            out.show_from_top()
