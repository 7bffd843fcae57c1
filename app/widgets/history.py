"""Renderers for the history inspector: they lay out what a run's trace and engine details hold.

Shapes read (from workloads' WorkloadRun): `run.replay.history` (rows with id, time, type,
attributes, and `replayed` when the run knows which events were replayed), `run.dag.grid`
(task × try states), `run.statemachine.history` and `run.statemachine.states` (the
definition's states). Where a run has no history rows, the trace (which every engine writes)
is shown instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from app.widgets.timeline import day_of

from app.widgets.event_groups import EventGroup

if TYPE_CHECKING:
    from collections.abc import Sequence
    from workloads.details import GridRow, StateRow
    from workloads.runs import WorkloadRun

#: Airflow's grid colours, by task-instance state.
STATE_STYLE = {
    "success": "bold white on dark_green",
    "failed": "bold white on red3",
    "upstream_failed": "bold black on orange3",
    "up_for_retry": "bold black on gold3",
    "up_for_reschedule": "bold white on dark_cyan",
    "running": "bold white on green4",
    "queued": "bold black on grey70",
    "scheduled": "bold black on tan",
    "skipped": "bold white on magenta",
    "removed": "white on grey35",
    "deferred": "white on medium_purple",
    "none": "dim",
}


#: An event group's outcome colour (Temporal's UI: green done, red failed, amber canceled or timed out).
STATUS_STYLE = {
    "Completed": "green", "Succeeded": "green", "Fired": "green",
    "Failed": "bold red", "TimedOut": "bold red", "Failed (caught)": "yellow", "TimedOut (caught)": "yellow",
    "Canceled": "yellow", "Aborted": "yellow", "Terminated": "yellow",
    "Pending": "cyan", "In progress": "cyan",
}


def group_label(item: EventGroup | dict[str, Any], *, dim: bool = False) -> Text:
    """A tree row: a group as `Activity · ChargeCard · Completed (events 5–7)` coloured by its outcome,
    or one event as `#6  d  0.00  ActivityTaskStarted`."""
    if isinstance(item, EventGroup):
        when = fmt_time(item.events[0].get("time")) if item.events else ""
        text = Text(f"{when}  ", style="dim")
        text.append(item.label(), style=STATUS_STYLE.get(item.status, ""))
    else:
        text = Text(f"#{item.get('id', '')}  {fmt_time(item.get('time'))}  ", style="dim")
        text.append(str(item.get("type", "")), style="bold")
    if dim:
        text.stylize("dim")
    return text


def event_detail(item: EventGroup | dict[str, Any] | None) -> Any:
    """The detail pane: every attribute and payload of an event, or of each event of a group, as JSON."""
    from rich.console import Group
    from rich.json import JSON

    if item is None:
        return Text("")
    events = item.events if isinstance(item, EventGroup) else [item]
    parts: list[Any] = []
    if isinstance(item, EventGroup):
        parts.append(Text(item.label(), style=f"bold {STATUS_STYLE.get(item.status, '')}".strip()))
    for event in events:
        parts.append(Text(f"#{event.get('id', '')} {event.get('type', '')}  {fmt_time(event.get('time'))}", style="bold"))
        attributes = event.get("attributes")
        if attributes in (None, {}, ""):
            parts.append(Text("  (no attributes)", style="dim"))
        else:
            parts.append(JSON.from_data(attributes, indent=2, default=str))
    return Group(*parts)


def fmt_time(value: Any) -> str:
    if isinstance(value, datetime):
        return f"d{day_of(value):6.2f}"
    if isinstance(value, str):
        try:
            return f"d{day_of(datetime.fromisoformat(value)):6.2f}"
        except ValueError:
            return value
    return str(value)


def fmt_attributes(value: Any, limit: int = 160) -> str:
    text = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def history_rows(run: WorkloadRun | None) -> list[dict[str, Any]]:
    """Event history rows: the replay or state-machine history when the run has one, else its trace."""
    rows = None
    if run is not None and run.engine == "replay":
        rows = run.replay.history
    elif run is not None and run.engine == "statemachine":
        rows = run.statemachine.history
    if rows:
        out = []
        for row in rows:
            row = dict(row) if isinstance(row, dict) else dict(vars(row))
            # Step Functions names them timestamp/details; Temporal time/attributes
            row.setdefault("time", row.get("timestamp"))
            row.setdefault("attributes", row.get("details"))
            out.append(row)
        return out
    if run is None:
        return []
    return [
        {"id": i, "time": e.time, "type": e.kind, "attributes": {**({"subject": e.subject} if e.subject else {}), **e.data} or e.detail}
        for i, e in enumerate(run.trace, 1)
    ]


def grid_cells(grid: Sequence[GridRow] | None) -> dict[str, list[str]]:
    """task_id -> states by try number, from the shapes a DAG grid can take."""
    cells: dict[str, list[str]] = {}
    if isinstance(grid, dict):
        for task, tries in grid.items():
            if isinstance(tries, dict):
                cells[str(task)] = [str(tries[k]) for k in sorted(tries, key=lambda x: int(x))]
            elif isinstance(tries, (list, tuple)):
                cells[str(task)] = [str(t.get("state", t)) if isinstance(t, dict) else str(t) for t in tries]
            else:
                cells[str(task)] = [str(tries)]
    elif isinstance(grid, Iterable):
        rows = [r if isinstance(r, dict) else vars(r) for r in grid]
        for row in sorted(rows, key=lambda r: int(r.get("try_number", 1) or 1)):
            task = str(row.get("task_id") or row.get("task"))
            cells.setdefault(task, []).append(str(row.get("state")))
    return cells


def grid_table(grid: Sequence[GridRow] | None) -> Table | Text:
    """The DAG's task-instance grid, task × try, coloured by state like Airflow's grid view."""
    cells = grid_cells(grid)
    if not cells:
        return Text("This run has no task-instance grid.", style="italic")
    tries = max(len(v) for v in cells.values())
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("task", style="bold")
    for n in range(1, tries + 1):
        table.add_column(f"try {n}")
    for task, states in cells.items():
        row = [Text(f" {s} ", style=STATE_STYLE.get(s.lower(), "")) for s in states]
        table.add_row(task, *row, *[""] * (tries - len(states)))
    legend = Text("  ")
    for state in sorted({s for states in cells.values() for s in states}):
        legend.append(f" {state} ", style=STATE_STYLE.get(state.lower(), ""))
        legend.append(" ")
    table.caption = legend
    return table


def state_names(states: Sequence[StateRow] | None) -> list[tuple[str, str, list[str]]]:
    """(name, type, next-states) of a state machine, from a States dict or a list of names."""
    out: list[tuple[str, str, list[str]]] = []
    if isinstance(states, dict):
        for name, spec in states.items():
            spec = spec if isinstance(spec, dict) else {}
            nexts = [spec["Next"]] if spec.get("Next") else []
            nexts += [c.get("Next") for c in spec.get("Choices", []) if isinstance(c, dict) and c.get("Next")]
            nexts += [c.get("Next") for c in spec.get("Catch", []) if isinstance(c, dict) and c.get("Next")]
            if spec.get("Default"):
                nexts.append(spec["Default"])
            out.append((str(name), str(spec.get("Type", "")), nexts))
    elif isinstance(states, Iterable):
        for item in states:
            if isinstance(item, dict):
                nexts = list(item.get("next") or [])
                nexts += [c.get("next") for c in item.get("catch") or [] if isinstance(c, dict) and c.get("next")]
                out.append((str(item.get("name")), str(item.get("type", "")), list(dict.fromkeys(nexts))))
            else:
                out.append((str(item), "", []))
    return out


def states_drawing(states: Sequence[StateRow] | None, visited: set[str], current: str | None = None) -> Text:
    """Boxes for the states, the visited ones highlighted, arrows naming where each goes next."""
    entries = state_names(states)
    if not entries:
        return Text("This run has no state machine definition.", style="italic")
    text = Text(no_wrap=True, overflow="ellipsis")
    for name, kind, nexts in entries:
        label = f" {name} " + (f"[{kind}]" if kind else "")
        style = "bold reverse green" if name == current else ("bold green" if name in visited else "dim")
        width = len(label) + 1
        text.append("┌" + "─" * width + "┐\n", style=style)
        text.append("│" + label + " │\n", style=style)
        text.append("└" + "─" * width + "┘\n", style=style)
        if nexts:
            text.append("   ↓ " + ", ".join(nexts) + "\n", style="cyan")
    return text
