"""The side-by-side run: one workload on the three engines, played back on one virtual-time axis.

The runs come from workloads.runner.run_side_by_side (30 virtual days take well under a second),
so "play" replays the traces by time. An action at the current moment (send cancelOrder, crash
the worker) re-runs with that scenario and day, and playback continues from that moment.
"""

from __future__ import annotations

from pathlib import Path
import math
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Header, Static

from engines.names import ENGINES

from app.screens.guarded import GuardedScreen
from app.widgets.footer import Footer
from app.widgets.timeline import EngineColumn, TimeAxis, day_of

if TYPE_CHECKING:
    from engines.trace import Outcome
    from workloads.runs import WorkloadRun

SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0)
TICK = 0.1  # seconds of wall time between playback frames


def outcome_words(outcome: Outcome) -> str:
    """The verifier's one-line account of an outcome (shipped / refunded / never refunded)."""
    from workloads.verifier import describe_outcome

    return describe_outcome(outcome)


class RunScreen(GuardedScreen):
    """Three columns, one per engine, on one axis from day 0 to day 30."""

    CSS_PATH = Path(__file__).with_name("run.tcss")  # absolute: subclasses live elsewhere
    BINDINGS = [
        Binding("space", "toggle_play", "Play", id="run.play", tooltip="Play the traces by virtual time"),
        Binding("right,period", "step(1)", "Step", id="run.step", key_display="→", tooltip="Jump to the next event"),
        Binding("left,comma", "step(-1)", "Back", id="run.back", show=False, tooltip="Jump to the previous event"),
        Binding("right_square_bracket", "move_day(1)", "+1 day", id="run.next_day", show=False, tooltip="One virtual day forward"),
        Binding("left_square_bracket", "move_day(-1)", "−1 day", id="run.previous_day", show=False, tooltip="One virtual day back"),
        Binding("e,end", "to_end", "End", id="run.end", tooltip="Jump to the end of every run"),
        Binding("home", "to_start", "Start", id="run.start", show=False, tooltip="Back to day 0"),
        Binding("f", "speed(1)", "Faster", id="run.faster", show=False, tooltip="Play faster"),
        Binding("g", "speed(-1)", "Slower", id="run.slower", show=False, tooltip="Play slower"),
        Binding("x", "act('cancel')", "cancelOrder", id="run.cancel", tooltip="Send cancelOrder now (re-runs with a cancel on this day)"),
        Binding("k", "act('crash')", "Crash", id="run.crash", tooltip="Crash the worker now (re-runs with a crash on this day)"),
        Binding("h", "act('happy')", "Happy path", id="run.happy", show=False, tooltip="Re-run the happy path"),
    ]

    class RunsReady(Message):
        def __init__(self, seq: int, runs: dict[str, WorkloadRun] | None, words: dict[str, str], problem: str = "") -> None:
            super().__init__()
            self.seq = seq
            self.runs = runs
            self.words = words
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.workload = ""
        self.scenario = ""
        self.action_day: float | None = None
        self.runs: dict[str, WorkloadRun] | None = None
        self.available: list[str] = []
        self.now = 0.0
        self.end = 30.0
        self.playing = False
        self.speed = 2.0
        self.busy = False
        self._seq = 0
        self._resume_after_run = False
        self._next_load: tuple[str, str, float | None] | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static("", id="run-title")
        yield TimeAxis(id="axis")
        with Horizontal(id="columns"):
            for engine in ENGINES:
                yield EngineColumn(engine)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(TICK, self._tick)
        if not self.workload:
            self.load("order-1001", "happy")

    # ---- loading (attributes down from the app)
    def load(self, workload: str, scenario: str = "happy", day: float | None = None) -> None:
        """Run `workload` under `scenario` (from `day`) on the three engines and play from the start
        (or, for an action at a moment, from that moment)."""
        if self.busy:  # one run at a time: the latest request waits for the current one
            self._next_load = (workload, scenario, day)
            return
        self.workload, self.scenario, self.action_day = workload, scenario, day
        self._seq += 1
        self.busy = True
        self.refresh_bindings()
        self._show_title()
        for column in self.query(EngineColumn):
            if self.runs is None:
                column.show_message(f"running {workload} ({scenario}) on {column.engine}…")
        self.run_engines(self._seq, workload, scenario, day)

    @work(thread=True, group="side-by-side")
    def run_engines(self, seq: int, workload: str, scenario: str, day: float | None) -> None:
        from workloads.runner import run_side_by_side, scenarios

        try:
            self.available = scenarios(workload)
            runs = run_side_by_side(workload, scenario, day=day)
        except Exception as exc:  # an engine failing must be shown, not crash the app
            self.post_message(self.RunsReady(seq, None, {}, f"{workload} ({scenario}) failed: {type(exc).__name__}: {exc}"))
            return
        words = {engine: outcome_words(run.outcome) for engine, run in runs.items()}
        self.post_message(self.RunsReady(seq, runs, words))

    @on(RunsReady)
    def show_runs(self, event: RunsReady) -> None:
        if event.seq != self._seq:
            return
        self.busy = False
        if self._next_load is not None:
            request, self._next_load = self._next_load, None
            self.load(*request)
            return
        self.refresh_bindings()
        self._show_title()
        if event.runs is None:
            for column in self.query(EngineColumn):
                column.show_message(event.problem)
            self.notify(event.problem, severity="error", timeout=6)
            return
        self.runs = event.runs
        self.app.runs_updated(event.runs)  # type: ignore[attr-defined]
        last = max((day_of(e.time) for run in event.runs.values() for e in run.trace), default=0.0)
        self.end = max(30.0, float(int(last) + (0 if last == int(last) else 1)))
        for column in self.query(EngineColumn):
            run = event.runs.get(column.engine)
            if run is None:
                column.show_message("not run")
            else:
                column.show_run(run, event.words.get(column.engine, ""))
        if self.action_day is None:
            self.now = 0.0
        else:
            self.now = min(self.action_day, self.end)
        self.playing = self._resume_after_run or self.playing
        self._resume_after_run = False
        self._show_title()
        self._render_now()

    def _show_title(self) -> None:
        at = f" on day {self.action_day:g}" if self.action_day is not None else ""
        state = " — running the engines…" if self.busy else ""
        self.query_one("#run-title", Static).update(
            Text.assemble((f" {self.workload}", "bold"), f" · scenario {self.scenario}{at}{state}")
        )

    # ---- playback
    def _tick(self) -> None:
        if not self.playing or self.runs is None:
            return
        self.now = min(self.end, self.now + self.speed * TICK)
        if self.now >= self.end:
            self.playing = False
        self._render_now()

    def _render_now(self) -> None:
        axis = self.query_one(TimeAxis)
        axis.now, axis.end, axis.playing, axis.speed = self.now, self.end, self.playing, self.speed
        axis.marks = (self.action_day,) if self.action_day is not None else ()
        for column in self.query(EngineColumn):
            column.play_to(self.now, self.end)

    def _event_days(self) -> list[float]:
        if not self.runs:
            return []
        return sorted({round(day_of(e.time), 6) for run in self.runs.values() for e in run.trace})

    def action_toggle_play(self) -> None:
        if self.now >= self.end:
            self.now = 0.0
        self.playing = not self.playing
        self._render_now()

    def action_step(self, direction: int) -> None:
        days = self._event_days()
        if direction > 0:
            later = [d for d in days if d > self.now + 1e-9]
            self.now = later[0] if later else self.end
        else:
            earlier = [d for d in days if d < self.now - 1e-9]
            self.now = earlier[-1] if earlier else 0.0
        self.playing = False
        self._render_now()

    def action_move_day(self, delta: int) -> None:
        whole = math.floor(self.now + 1e-9) if delta > 0 else math.ceil(self.now - 1e-9)
        self.now = min(self.end, max(0.0, float(whole + delta)))
        self.playing = False
        self._render_now()

    def action_to_end(self) -> None:
        self.now = self.end
        self.playing = False
        self._render_now()

    def action_to_start(self) -> None:
        self.now = 0.0
        self.playing = False
        self._render_now()

    def action_speed(self, direction: int) -> None:
        index = SPEEDS.index(self.speed) if self.speed in SPEEDS else 2
        self.speed = SPEEDS[min(len(SPEEDS) - 1, max(0, index + direction))]
        self._render_now()

    # ---- actions at the current moment
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            if self.busy:
                return None
            scenario = parameters[0] if parameters else ""
            if self.available and scenario not in self.available:
                return None
        return True

    def action_act(self, scenario: str) -> None:
        if self.busy:
            return
        if self.available and scenario not in self.available:
            self.notify(f"{self.workload} has no {scenario!r} scenario.", severity="warning")
            return
        day = None if scenario == "happy" else round(self.now, 2)
        self._resume_after_run = self.playing
        self.playing = False
        self.load(self.workload, scenario, day)
