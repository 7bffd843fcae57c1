"""The run view: one workload on the three engines, each drawn in its own model's picture, all
driven by one virtual clock (play / pause / step / scrub to a day).

The runs come from workloads.runner.run_side_by_side (30 virtual days take well under a second),
so "play" moves the shared moment and each picture redraws itself at it from its engine's own
records. An action at the current moment (send cancelOrder, crash the worker) re-runs with that
scenario and day, and playback continues from that moment. A picker on the title row reaches
every workload and scenario.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Header, Select, Static

from engines.names import ENGINES

from app.widgets.picker import Picker
from app.screens.guarded import GuardedScreen
from app.widgets.footer import Footer
from app.widgets.run.column import EngineColumn
from app.widgets.run.day_axis import DayAxis, moments
from app.widgets.run.real_column import SYSTEMS, RealColumn
from app.widgets.timeline import Scale, day_of

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun

SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0)   # axis units (days, or minutes for the ETL) per second
TICK = 0.1  # seconds of wall time between playback frames
#: Pictures are drawn at the axis' resolution: an event within a thousandth of a unit of the
#: moment (the DAG sensor's timeout, 64 s after day 7) shows at that moment.
RESOLUTION = 1e-3
COMPACT = (100, 30)  # below this width or height: the compact layout


class RunScreen(GuardedScreen):
    """Three columns, one per engine, under one day axis fitted to the workload."""

    CSS_PATH = Path(__file__).with_name("run.tcss")  # absolute: subclasses live elsewhere
    AUTO_FOCUS = None  # the playback keys (space, arrows) are the screen's: no picker takes them at start
    BINDINGS = [
        Binding("space", "toggle_play", "Play", id="run.play", tooltip="Play the run by virtual time"),
        Binding("right,period", "step(1)", "Step", id="run.step", key_display="→", tooltip="Jump to the next event"),
        Binding("left,comma", "step(-1)", "Back", id="run.back", show=False, tooltip="Jump to the previous event"),
        Binding("right_square_bracket", "move_day(1)", "+1 day", id="run.next_day", show=False, tooltip="One unit of the axis forward (a day)"),
        Binding("left_square_bracket", "move_day(-1)", "−1 day", id="run.previous_day", show=False, tooltip="One unit of the axis back (a day)"),
        Binding("e,end", "to_end", "End", id="run.end", tooltip="Jump to the end of every run"),
        Binding("home", "to_start", "Start", id="run.start", show=False, tooltip="Back to day 0"),
        Binding("f", "speed(1)", "Faster", id="run.faster", show=False, tooltip="Play faster"),
        Binding("g", "speed(-1)", "Slower", id="run.slower", show=False, tooltip="Play slower"),
        Binding("x", "act('cancel')", "cancelOrder", id="run.cancel", tooltip="Send cancelOrder now (re-runs with a cancel on this day)"),
        Binding("k", "act('crash')", "Crash", id="run.crash", tooltip="Crash the worker now (re-runs with a crash on this day)"),
        Binding("h", "act('happy')", "Happy path", id="run.happy", show=False, tooltip="Re-run the happy path"),
        Binding("p", "pick('#scenario-picker')", "Scenario", id="run.pick_scenario", tooltip="Pick a scenario of this workload"),
        Binding("w", "pick('#workload-picker')", "Workload", id="run.pick_workload", show=False, tooltip="Pick another workload"),
        Binding("R", "real", "Real engines", id="run.real", show=False,
                tooltip="Run this scenario on the real engines too (the `real` extra) and list every difference"),
    ]

    class RealResult(Message):
        """One real system's comparison (or why it could not run), for the run it was asked for."""

        def __init__(self, seq: int, system: str, result: dict) -> None:
            super().__init__()
            self.seq = seq
            self.system = system
            self.result = result

    class RunsReady(Message):
        def __init__(self, seq: int, runs: dict[str, WorkloadRun] | None, scenario: str, available: list[str],
                     problem: str = "") -> None:
            super().__init__()
            self.seq = seq
            self.runs = runs
            self.scenario = scenario
            self.available = available
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.workload = ""
        self.scenario = ""
        self.action_day: float | None = None
        self.runs: dict[str, WorkloadRun] | None = None
        self.available: list[str] = []
        self.scale = Scale.fit(30.0)
        self.now = 0.0
        self.playing = False
        self.speed = 2.0
        self.busy = False
        self._seq = 0
        self._resume_after_run = False
        self._next_load: tuple[str, str, float | None] | None = None
        self._seek_after_run: float | None = None
        #: The real systems `R` runs (each beside the mini-engine teaching its model).
        self.real_systems: tuple[str, ...] = tuple(key for key, _, _ in SYSTEMS)

    @property
    def end(self) -> float:
        """The axis end in virtual days (30 for ORDER #1001, minutes for the ETL)."""
        return self.scale.end

    def compose(self) -> ComposeResult:
        from workloads.runner import WORKLOADS

        yield Header(icon="◆")
        with Horizontal(id="run-bar"):
            yield Static("", id="run-title")
            # prompts as Text: a name is shown as written, never read as markup
            yield Picker([(Text(str(w)), str(w)) for w in WORKLOADS], id="workload-picker", compact=True, allow_blank=False,
                         tooltip="the workload (w)")
            yield Picker([(Text("happy"), "happy")], id="scenario-picker", compact=True, allow_blank=False,
                         tooltip="the scenario (p)")
        yield DayAxis(id="axis")
        with Horizontal(id="columns"):
            for engine in ENGINES:
                yield EngineColumn(engine)
            yield RealColumn()
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(TICK, self._tick)
        self._fit_layout()
        if not self.workload:
            self.load("order-1001", "happy")

    def on_resize(self) -> None:
        self._fit_layout()

    def _fit_layout(self) -> None:
        width, height = self.app.size
        compact = width < COMPACT[0] or height < COMPACT[1]
        self.set_class(compact, "-compact")
        for column in self.query(EngineColumn):
            column.set_compact(compact)

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
        self.query_one(RealColumn).clear()
        self.set_class(False, "-real")
        self._show_title()
        for column in self.query(EngineColumn):
            if self.runs is None:
                column.show_message(f"running {workload} ({scenario}) on {column.engine}…")
        self.run_engines(self._seq, workload, scenario, day)

    def seek(self, day: float) -> None:
        """Stop and show virtual day `day` (clamped to the axis); once the runs are in, if loading."""
        if self.busy or self.runs is None:
            self._seek_after_run = day
            return
        self.now = min(self.end, max(0.0, day))
        self.playing = False
        self._render_now()

    @work(thread=True, group="side-by-side")
    def run_engines(self, seq: int, workload: str, scenario: str, day: float | None) -> None:
        from workloads.runner import run_side_by_side, scenarios

        try:
            available = scenarios(workload)
            if scenario not in available:  # e.g. "happy" for a workload whose scenarios are approve/reject
                scenario, day = available[0], None
            runs = run_side_by_side(workload, scenario, day=day)
        except Exception as exc:  # an engine failing must be shown, not crash the app
            self.post_message(self.RunsReady(seq, None, scenario, [], f"{workload} ({scenario}) failed: {type(exc).__name__}: {exc}"))
            return
        self.post_message(self.RunsReady(seq, runs, scenario, available))

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
        if event.runs is None:
            self._show_title()
            for column in self.query(EngineColumn):
                column.show_message(event.problem)
            self.notify(event.problem, severity="error", timeout=6)
            return
        self.runs, self.scenario, self.available = event.runs, event.scenario, event.available
        if event.scenario != self.scenario:
            self.action_day = None
        self._sync_pickers()
        self.app.runs_updated(event.runs)  # type: ignore[attr-defined]
        marks = moments(event.runs, self.scenario, self.action_day)
        last = max((day_of(e.time) for run in event.runs.values() for e in run.trace), default=0.0)
        self.scale = Scale.fit(max([last, *(m.day for m in marks)]))
        self.query_one(DayAxis).show(self.scale, marks)
        for column in self.query(EngineColumn):
            run = event.runs.get(column.engine)
            if run is None:
                column.show_message("not run")
            else:
                column.show_run(run, self.scale)
        self.now = 0.0 if self.action_day is None else min(self.action_day, self.end)
        if self._seek_after_run is not None:
            self.now, self._seek_after_run = min(self.end, max(0.0, self._seek_after_run)), None
        self.playing = self._resume_after_run or self.playing
        self._resume_after_run = False
        self._show_title()
        self._render_now()

    def _sync_pickers(self) -> None:
        """The pickers show the loaded workload and scenario (without re-running on the change)."""
        workload = self.query_one("#workload-picker", Select)
        scenario = self.query_one("#scenario-picker", Select)
        with workload.prevent(Select.Changed), scenario.prevent(Select.Changed):
            if workload.value != self.workload:
                workload.value = self.workload
            scenario.set_options([(Text(s), s) for s in self.available])
            scenario.value = self.scenario

    @on(Select.Changed, "#scenario-picker")
    def scenario_picked(self, event: Select.Changed) -> None:
        self.set_focus(None)  # back to the playback keys
        if isinstance(event.value, str) and event.value != self.scenario and self.workload:
            self.load(self.workload, event.value)

    @on(Select.Changed, "#workload-picker")
    def workload_picked(self, event: Select.Changed) -> None:
        self.set_focus(None)
        if isinstance(event.value, str) and event.value != self.workload:
            self.runs = None
            self.load(event.value, "")

    def action_pick(self, selector: str) -> None:
        picker = self.query_one(selector, Select)
        picker.focus()
        picker.expanded = True

    def _show_title(self) -> None:
        at = f" on {self.scale.label(self.action_day)}" if self.action_day is not None else ""
        state = " — running the engines…" if self.busy else ""
        self.query_one("#run-title", Static).update(
            Text.assemble((f" {self.workload}", "bold"), f" · {self.scenario}{at}{state}")
        )

    # ---- the real engines beside the mini ones
    def action_real(self) -> None:
        """Show the real-engines column; run the scenario there unless it already ran for this run."""
        column = self.query_one(RealColumn)
        if self.has_class("-real") and (column.done or column.pending):
            self.set_class(False, "-real")
            return
        self.set_class(True, "-real")
        if self.runs is None or column.pending or (column.done and column.scenario == self.scenario):
            return
        column.start(self.workload, self.scenario, self.real_systems)
        self.run_real_engines(self._seq, self.workload, self.scenario, self.real_systems)

    @work(thread=True, group="real-engines", exclusive=True)
    def run_real_engines(self, seq: int, workload: str, scenario: str, systems: tuple[str, ...]) -> None:
        from workloads.eject import RealSystem, comparison_json

        for key in systems:
            try:
                result = comparison_json(workload, scenario, RealSystem(key))
            except Exception as exc:  # a real engine failing is shown in its row, never a crash
                result = {"error": f"{type(exc).__name__}: {exc}"}
            self.post_message(self.RealResult(seq, key, result))

    @on(RealResult)
    def show_real(self, event: RealResult) -> None:
        if event.seq == self._seq:
            self.query_one(RealColumn).add(event.system, event.result)

    # ---- playback
    def _tick(self) -> None:
        if not self.playing or self.runs is None:
            return
        self.now = min(self.end, self.now + self.speed * TICK * self.scale.days)
        if self.now >= self.end:
            self.playing = False
        self._render_now()

    def _render_now(self) -> None:
        """Redraw every picture at `now`. A tick can still fire while the screen's children are
        being removed (quitting from the run view raised NoMatches 'TimeAxis', issue 20): a screen
        whose parts are gone draws nothing."""
        if not self.is_attached:
            return
        axes = self.query(DayAxis)
        if not axes:
            return
        axes.first().set(now=self.now, playing=self.playing, speed=self.speed)
        moment = self.now + RESOLUTION * self.scale.days
        for column in self.query(EngineColumn):
            column.at(moment)

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
            later = [d for d in days if d > self.now + RESOLUTION * self.scale.days]
            self.now = later[0] if later else self.end
        else:
            earlier = [d for d in days if d < self.now - 1e-9]
            self.now = earlier[-1] if earlier else 0.0
        self.playing = False
        self._render_now()

    def action_move_day(self, delta: int) -> None:
        """One unit of the axis (a day; a minute for the ETL), landing on whole units."""
        unit = self.scale.days
        units = self.now / unit
        whole = math.floor(units + 1e-9) if delta > 0 else math.ceil(units - 1e-9)
        self.now = min(self.end, max(0.0, (whole + delta) * unit))
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
