"""The DAG column's picture: Airflow's grid view of one DAG run, one cell per task instance.

Cells carry Airflow's own task-instance state names and colours (`airflow.utils.state.State.
state_color` in Airflow 3.3: running lime, success green, failed red, upstream_failed orange,
up_for_reschedule turquoise, deferred mediumpurple, ...). A sensor's cell also shows what the
scene is about: its mode, the pokes so far and the worker slot it holds, filling day by day. A
cancel shows as Airflow meets it: an attempt to deliver it that finds no running actor, and
the only option, marking the run failed, with the charge left unrefunded. All of it is read from
the run's trace (every task-instance state change, with its time) up to the shared moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widget import Widget

from app.widgets.run.fit import cropped, join
from app.widgets.timeline import Scale, task_slot_days

if TYPE_CHECKING:
    from engines.trace import TraceEvent
    from workloads.runs import WorkloadRun

#: Airflow 3.3's `State.state_color` (CSS colour names, here as their hex values); `none` is its None.
STATE_COLORS: dict[str, str] = {
    "none": "#ADD8E6",              # lightblue
    "queued": "#808080",            # gray
    "running": "#00FF00",           # lime
    "success": "#008000",           # green
    "restarting": "#EE82EE",        # violet
    "failed": "#FF0000",            # red
    "up_for_retry": "#FFD700",      # gold
    "up_for_reschedule": "#40E0D0",  # turquoise
    "upstream_failed": "#FFA500",   # orange
    "skipped": "#FF69B4",           # hotpink
    "removed": "#D3D3D3",           # lightgrey
    "scheduled": "#D2B48C",         # tan
    "deferred": "#9370DB",          # mediumpurple
    "awaiting_input": "#FF8C00",    # darkorange
}
#: A symbol per state, so the grid reads without colour too.
STATE_SYMBOLS: dict[str, str] = {
    "none": "·", "scheduled": "◌", "queued": "◌", "running": "▶", "success": "✓", "failed": "✗",
    "up_for_retry": "↻", "up_for_reschedule": "‖", "upstream_failed": "⚠", "skipped": "⊘", "removed": "–",
    "deferred": "☾", "restarting": "↻", "awaiting_input": "?",
}
#: The DAG run's states (Airflow's DagRunState) with the same colours as a task's.
RUN_STATES = ("queued", "running", "success", "failed")


@dataclass(frozen=True)
class TaskCell:
    """One task instance of the run at a moment (its latest try)."""

    task_id: str
    state: str                 # Airflow's word: none, scheduled, queued, running, success, ...
    try_number: int = 0
    sensor: bool = False
    mode: str | None = None    # a sensor's mode: poke (holds its slot) or reschedule
    pokes: int = 0
    slot_days: float = 0.0     # worker-slot days this task's tries have held so far
    error: str = ""            # why it failed (AirflowSensorTimeout, ...)


@dataclass(frozen=True)
class CancelAttempt:
    """A cancelOrder the DAG met: when, whether anything received it, and what was left."""

    day: float
    delivered: bool
    words: str                 # "no running actor to receive it"
    marked_failed: bool
    killed: tuple[str, ...] = ()
    charged_cents: int = 0
    refunded_cents: int = 0


@dataclass(frozen=True)
class DagView:
    """What the grid shows at one moment."""

    day: float = field(compare=False)  # the moment (not part of what is drawn)
    run_state: str = "queued"
    tasks: tuple[TaskCell, ...] = ()
    cancel: CancelAttempt | None = None

    def cell(self, task_id: str) -> TaskCell:
        return next(t for t in self.tasks if t.task_id == task_id)

    @property
    def states(self) -> dict[str, str]:
        return {t.task_id: t.state for t in self.tasks}


def _day(event: TraceEvent) -> float:
    from app.widgets.timeline import day_of

    return day_of(event.time)


def dag_view_at(run: WorkloadRun, events: list[tuple[float, TraceEvent]], now: float) -> DagView:
    """The grid at virtual day `now`, from the trace's task-instance and run events up to it."""
    details = run.dag
    order = list(details.task_states)
    states: dict[str, str] = {t: "none" for t in order}
    tries: dict[str, int] = {}
    errors: dict[str, str] = {}
    pokes: dict[str, int] = {}
    modes: dict[str, str] = {}
    run_state = "queued"
    cancel: CancelAttempt | None = None
    for day, e in events:
        if day > now + 1e-9:
            break
        kind = e.kind
        if kind.startswith("TaskInstance ") and kind != "TaskInstance heartbeat timeout":
            task, state = e.subject, kind.removeprefix("TaskInstance ")
            if task not in states:
                order.append(task)
            states[task] = state
            tries[task] = int(e.data.get("try_number") or tries.get(task, 0))
            if state in ("failed", "up_for_retry") and e.data.get("error"):
                errors[task] = str(e.data["error"])
        elif kind == "Sensor poke":
            pokes[e.subject] = int(e.data.get("pokes") or 0)
            modes[e.subject] = str(getattr(e.data.get("mode"), "value", e.data.get("mode") or ""))
        elif kind == "DagRun created":
            run_state = "running"
        elif kind == "DagRun marked failed":
            run_state = "failed"
            o = run.outcome
            cancel = CancelAttempt(day, delivered=False, words=_no_actor(), marked_failed=True,
                                   killed=tuple(e.data.get("killed") or ()), charged_cents=o.charged_cents,
                                   refunded_cents=o.refunded_cents)
        elif kind.startswith("DagRun ") and kind.removeprefix("DagRun ") in RUN_STATES:
            run_state = kind.removeprefix("DagRun ")
    for task, samples in _poke_samples(events).items():  # between two daily samples: the line joining them
        before = [(d, n) for d, n in samples if d <= now + 1e-9]
        after = [(d, n) for d, n in samples if d > now + 1e-9]
        if before and after and states.get(task) == "running":
            (d0, n0), (d1, n1) = before[-1], after[0]
            pokes[task] = int(n0 + (n1 - n0) * (now - d0) / (d1 - d0))
    sensors = set(details.pokes_by_task) | set(pokes)
    final = {"success", "failed", "skipped", "upstream_failed", "removed"}
    mode = None if details.mode is None else str(details.mode)
    cells = []
    for task in order:
        sensor = task in sensors
        shown_pokes = details.pokes_by_task.get(task, 0) if states[task] in final and sensor else pokes.get(task, 0)
        cells.append(TaskCell(task, states[task], tries.get(task, 0), sensor, modes.get(task, mode) if sensor else None,
                              shown_pokes, task_slot_days(run, task, now) if sensor else 0.0, errors.get(task, "")))
    return DagView(now, run_state, tuple(cells), cancel)


def _poke_samples(events: list[tuple[float, TraceEvent]]) -> dict[str, list[tuple[float, int]]]:
    """Each sensor's recorded poke counts by day (the trace records them once a virtual day)."""
    samples: dict[str, list[tuple[float, int]]] = {}
    for day, e in events:
        if e.kind == "Sensor poke":
            samples.setdefault(e.subject, []).append((day, int(e.data.get("pokes") or 0)))
    return samples


def _no_actor() -> str:
    from engines.dag import NO_ACTOR

    return NO_ACTOR


class DagGrid(Widget):
    """Airflow's grid for the one run: a row per task, its cell coloured by state."""

    DEFAULT_CSS = "DagGrid { height: 1fr; min-height: 3; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run: WorkloadRun | None = None
        self.events: list[tuple[float, TraceEvent]] = []
        self.view = DagView(0.0, "queued", ())
        self.scale = Scale.fit(30.0)
        self.compact = False

    def show(self, run: WorkloadRun, scale: Scale) -> None:
        self.run, self.scale = run, scale
        self.events = [(_day(e), e) for e in run.trace]

    def at(self, now: float) -> DagView:
        if self.run is None:
            return self.view
        view = dag_view_at(self.run, self.events, now)
        if view != self.view:
            self.view = view
            self.refresh()
        return view

    def render(self) -> Text:
        v = self.view
        width = max(10, self.content_region.width)
        lines = [cropped(Text.assemble(("DAG run ", "bold"), (f"{STATE_SYMBOLS.get(v.run_state, '')} {v.run_state}",
                                                              f"bold {STATE_COLORS.get(v.run_state, '')}")), width)]
        name_width = min(max((len(t.task_id) for t in v.tasks), default=4), max(6, width // 2 - 2))
        for t in v.tasks:
            color = STATE_COLORS.get(t.state, "#FFFFFF")
            row = Text.assemble((f" {STATE_SYMBOLS.get(t.state, '?')} ", f"bold #000000 on {color}"),
                                (f" {t.task_id:<{name_width}} ", "bold" if t.sensor else ""), (t.state, f"bold {color}"))
            if t.try_number > 1:
                row.append(f" try {t.try_number}", style="yellow")
            lines.append(cropped(row, width))
            if t.sensor and (t.mode or t.pokes):
                lines.extend(self._sensor_lines(t, width))
            if t.error:
                lines.append(cropped(Text(f"    {t.error}", style="bold red"), width))
        if v.cancel is not None:  # these lines wrap: "no running actor" is read whole at any width
            c = v.cancel
            lines.append(Text(f"✉ cancelOrder {self.scale.label(c.day)} →", style="bold magenta"))
            lines.append(Text(f"✗ {c.words}", style="bold red"))
            lines.append(Text("⇒ only option: mark the run failed", style="bold"))
            if c.charged_cents:
                unrefunded = c.charged_cents - c.refunded_cents
                money = Text(f"${c.charged_cents / 100:,.2f} charged, ", style="bold")
                if unrefunded > 0:
                    money.append(f"${unrefunded / 100:,.2f} unrefunded ✗", style="bold red")
                else:
                    money.append("refunded ✓", style="bold green")
                lines.append(money)
        return join(lines)

    def _sensor_lines(self, t: TaskCell, width: int) -> list[Text]:
        """`mode=poke · 7,201 pokes`, then the slot it holds against the axis, filling day by day."""
        holds = t.mode == "poke"
        strong = "bold red" if holds and t.slot_days >= self.scale.days else "bold"
        first = Text.assemble("   ", (f"mode={t.mode or '?'}", "bold"), f" · {t.pokes:,} pokes")
        held = Text(f" {self.scale.span(t.slot_days)} held", style=strong)
        second = Text("   slot ")
        bar = max(0, min(30, width - second.cell_len - held.cell_len))
        fill = int(round(bar * min(1.0, t.slot_days / self.scale.end))) if self.scale.end else 0
        second.append("█" * fill, style="bold red" if holds else "bold green")
        second.append("░" * (bar - fill), style="dim")
        second.append_text(held)
        if self.compact:
            return [cropped(first, width), cropped(Text.assemble("   slot", held), width)]
        return [cropped(first, width), cropped(second, width)]
