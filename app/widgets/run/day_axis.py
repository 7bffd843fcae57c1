"""The shared day axis above the three columns: where the one virtual clock stands, and the
moments that matter in this run (the user's action, a sensor timeout, a timer due, a Catch).

The axis is fitted to the workload (`Scale`): ORDER #1001 is 30 days, the nightly ETL ten
minutes. Moments are read from the runs' own records, each with a symbol and a short label, so
the axis tells the story before any column is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widget import Widget

from app.widgets.run.fit import cropped, join
from app.widgets.timeline import Scale, day_of

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun


@dataclass(frozen=True)
class Moment:
    day: float
    symbol: str
    label: str
    style: str


#: The scenario actions a user can take at a moment, as the axis names them.
ACTION_WORDS = {"cancel": "cancel sent", "crash": "worker crash", "deploy-v2": "v2 deployed"}


def moments(runs: dict[str, WorkloadRun], scenario: str, action_day: float | None) -> list[Moment]:
    """The moments that matter, in day order, one per (label): from the runs' own records."""
    found: list[Moment] = []
    if action_day is not None and scenario in ACTION_WORDS:
        found.append(Moment(action_day, "●", ACTION_WORDS[scenario], "bold magenta"))
    elif action_day is not None:
        found.append(Moment(action_day, "●", f"{scenario}", "bold magenta"))
    for engine, run in runs.items():
        for e in run.trace:
            day = day_of(e.time)
            if engine == "dag" and e.kind == "TaskInstance failed" and e.data.get("error") == "AirflowSensorTimeout":
                found.append(Moment(day, "✗", "sensor timeout", "bold red"))
            elif engine == "dag" and e.kind == "DagRun marked failed":
                found.append(Moment(day, "✗", "DAG run marked failed", "bold red"))
            elif engine == "replay" and e.kind == "TimerStarted":
                fire_at = (e.data.get("attributes") or {}).get("fire_at")
                if fire_at:
                    due = day_of(datetime.fromisoformat(str(fire_at)))
                    found.append(Moment(due, "◷", "timer due", "bold cyan"))
            elif engine == "replay" and e.kind == "WorkerCrashed" and action_day is None:
                found.append(Moment(day, "✗", "worker crash", "bold red"))
    seen: set[str] = set()
    unique = []
    for m in sorted(found, key=lambda m: m.day):
        if m.label not in seen:
            seen.add(m.label)
            unique.append(m)
    return unique


class DayAxis(Widget):
    """▶ d5 ━━━━━●━━━✗━━━━━━━━━━━━◷ d30, and under it the moments' labels."""

    DEFAULT_CSS = "DayAxis { height: 2; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now = 0.0
        self.scale = Scale.fit(30.0)
        self.playing = False
        self.speed = 2.0
        self.marks: list[Moment] = []

    def set(self, *, now: float, playing: bool, speed: float) -> None:
        if (now, playing, speed) != (self.now, self.playing, self.speed):
            self.now, self.playing, self.speed = now, playing, speed
            self.refresh()

    def show(self, scale: Scale, marks: list[Moment]) -> None:
        self.scale, self.marks = scale, marks
        self.refresh()

    def render(self) -> Text:
        s = self.scale
        state = "▶" if self.playing else "‖"
        head = Text.assemble((f" {state} {s.label(self.now):>7} ", "bold"), (f"×{self.speed:g} ", "dim"))
        tail = Text(f" {s.label(s.end)} ")
        width = max(10, self.size.width - head.cell_len - tail.cell_len)
        at = lambda day: min(width - 1, max(0, int(round((width - 1) * day / s.end)))) if s.end else 0  # noqa: E731
        here = at(self.now)
        cells = ["━" if i <= here else "─" for i in range(width)]
        styles = ["bold cyan" if i <= here else "dim" for i in range(width)]
        for m in self.marks:
            cells[at(m.day)], styles[at(m.day)] = m.symbol, m.style
        bar = Text()
        start = 0
        for i in range(1, width + 1):  # one span per run of one style: a Text of 100 spans draws slowly
            if i == width or styles[i] != styles[start]:
                bar.append("".join(cells[start:i]), style=styles[start])
                start = i
        labels = Text(" " * max(0, head.cell_len - 1))
        for m in self.marks:
            labels.append(f" {m.symbol} ", style=m.style)
            labels.append(f"{m.label} {s.label(m.day)}")
        return join([cropped(Text.assemble(head, bar, tail), self.size.width), cropped(labels, self.size.width)])
