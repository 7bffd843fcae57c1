"""The state machine column's picture: the states of `statemachine.json`, laid out as the Step
Functions console draws a workflow (top to bottom from StartAt), coloured by status.

The console colours a state by how it stands in the execution: in progress (blue), succeeded
(green), failed (red), caught error (orange: it failed and a Catch took the flow elsewhere),
cancelled (grey) and not started (no colour). A Catch edge that was taken is named under the
graph. The layout is layered: networkx orders the states (longest path from StartAt, after the
back edges are set aside), so the 10 states of ORDER #1001 read as 8 rows. All statuses are read
from the execution's own history up to the shared moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widget import Widget

from app.widgets.run.fit import cropped, join
from app.widgets.timeline import Scale, day_of

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun


class StateStatus(StrEnum):
    """The console's state statuses."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CAUGHT_ERROR = "caught error"
    CANCELLED = "cancelled"


#: Colour and symbol per status (the console's colours; a symbol so it reads without colour).
STATUS_LOOK: dict[StateStatus, tuple[str, str]] = {
    StateStatus.NOT_STARTED: ("#808080", "·"), StateStatus.IN_PROGRESS: ("#0972D3", "▶"),
    StateStatus.SUCCEEDED: ("#037F0C", "✓"), StateStatus.FAILED: ("#D91515", "✗"),
    StateStatus.CAUGHT_ERROR: ("#FF9900", "↪"), StateStatus.CANCELLED: ("#5F6B7A", "⊘"),
}
#: Step Functions' execution status words, by the history event that ends an execution.
EXECUTION_END = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
                 "ExecutionAborted": "ABORTED"}


@dataclass(frozen=True)
class CatchEdge:
    """A Catch the execution took: from the failed state, on which error, to which state."""

    source: str
    error: str
    target: str
    day: float


@dataclass(frozen=True)
class StateView:
    """What the state graph shows at one moment."""

    day: float = field(compare=False)            # the moment (not part of what is drawn)
    execution_status: str = "RUNNING"            # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    statuses: tuple[tuple[str, StateStatus], ...] = ()
    catches: tuple[CatchEdge, ...] = ()
    current: tuple[str, ...] = ()                # states in progress

    def status(self, state: str) -> StateStatus:
        return dict(self.statuses)[state]

    @property
    def lit(self) -> tuple[str, ...]:
        """States the execution has entered so far."""
        return tuple(s for s, st in self.statuses if st != StateStatus.NOT_STARTED)


@dataclass(frozen=True)
class SfnEvent:
    day: float
    type: str
    state: str | None
    details: dict[str, Any]


def sfn_events(rows: list[dict[str, Any]]) -> list[SfnEvent]:
    out = []
    for row in rows:
        stamp = str(row.get("timestamp", "")).replace("Z", "+00:00")
        out.append(SfnEvent(day_of(datetime.fromisoformat(stamp)), str(row.get("type")), row.get("state"),
                            dict(row.get("details") or {})))
    return out


def state_view_at(names: list[str], events: list[SfnEvent], now: float) -> StateView:
    """Each state's status at virtual day `now`, from the execution history up to it."""
    status = {n: StateStatus.NOT_STARTED for n in names}
    failed: dict[str, tuple[str, float]] = {}   # state -> (error, day) of a failure not yet resolved
    catches: list[CatchEdge] = []
    execution = "RUNNING"
    last_failed: str | None = None
    for e in events:
        if e.day > now + 1e-9:
            break
        if e.type in EXECUTION_END:
            execution = EXECUTION_END[e.type]
            for n, st in status.items():
                if st == StateStatus.IN_PROGRESS:
                    status[n] = StateStatus.CANCELLED if execution == "ABORTED" else StateStatus.FAILED
            continue
        if e.state is None or e.state not in status:
            continue
        if e.type.endswith("StateEntered"):
            if last_failed is not None and last_failed in failed:
                error, _ = failed.pop(last_failed)
                catches.append(CatchEdge(last_failed, error, e.state, e.day))
                status[last_failed] = StateStatus.CAUGHT_ERROR
                last_failed = None
            status[e.state] = StateStatus.FAILED if e.type == "FailStateEntered" else StateStatus.IN_PROGRESS
        elif e.type.endswith("StateExited"):
            if status[e.state] == StateStatus.IN_PROGRESS:
                status[e.state] = StateStatus.SUCCEEDED
            if e.state in failed:
                last_failed = e.state
        elif e.type.endswith("Succeeded") and e.state in failed:  # a Retry that worked: nothing was caught
            failed.pop(e.state)
            status[e.state] = StateStatus.IN_PROGRESS
        elif e.type.endswith(("Failed", "TimedOut")) and e.type not in ("ExecutionFailed", "ExecutionTimedOut"):
            failed[e.state] = (str(e.details.get("error", e.type)), e.day)
            status[e.state] = StateStatus.FAILED
    if execution == "FAILED":
        for n in failed:
            status[n] = StateStatus.FAILED
    current = tuple(n for n, st in status.items() if st == StateStatus.IN_PROGRESS)
    return StateView(now, execution, tuple(status.items()), tuple(catches), current)


@lru_cache(maxsize=32)
def layers(edges: tuple[tuple[str, str], ...], names: tuple[str, ...], start: str) -> tuple[tuple[str, ...], ...]:
    """States in rows, top to bottom: each at its longest distance from StartAt (back edges set
    aside, as a loop in the console is drawn back up), unreachable states last."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(edges)
    back = set()
    if start in graph:
        for a, b, kind in nx.dfs_labeled_edges(graph, source=start):
            if kind == "nontree" and b in nx.ancestors(graph, a) | {a}:
                back.add((a, b))
    dag = nx.DiGraph()
    dag.add_nodes_from(names)
    dag.add_edges_from(e for e in edges if e not in back)
    reach = {start} | (nx.descendants(dag, start) if start in dag else set())
    depth = {n: 0 for n in reach}
    for n in nx.topological_sort(dag.subgraph(reach)):
        for m in dag.successors(n):
            depth[m] = max(depth[m], depth[n] + 1)
    rows: dict[int, list[str]] = {}
    for n in names:  # definition order within a row
        rows.setdefault(depth.get(n, max(depth.values(), default=0) + 1), []).append(n)
    return tuple(tuple(rows[k]) for k in sorted(rows))


class StateGraph(Widget):
    """The state graph: a row of state boxes per layer, coloured by status, the taken Catch named."""

    DEFAULT_CSS = "StateGraph { height: 1fr; min-height: 3; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.names: list[str] = []
        self.types: dict[str, str] = {}
        self.rows: tuple[tuple[str, ...], ...] = ()
        self.events: list[SfnEvent] = []
        self.view = StateView(0.0, "RUNNING", ())
        self.scale = Scale.fit(30.0)
        self.compact = False

    def show(self, run: WorkloadRun, scale: Scale) -> None:
        details = run.statemachine
        self.scale = scale
        self.names = [s["name"] for s in details.states]
        self.types = {s["name"]: s["type"] for s in details.states}
        edges = tuple((s["name"], t) for s in details.states for t in [*s["next"], *(c["next"] for c in s["catch"])])
        start = next((s["name"] for s in details.states if s.get("start")), self.names[0] if self.names else "")
        self.rows = layers(edges, tuple(self.names), start)
        self.events = sfn_events(details.history)

    def at(self, now: float) -> StateView:
        view = state_view_at(self.names, self.events, now)
        if view != self.view:
            self.view = view
            self.refresh()
        return view

    def render(self) -> Text:
        v = self.view
        width = max(10, self.content_region.width)
        height = max(1, self.content_region.height)
        status = dict(v.statuses)
        look = {"RUNNING": "#0972D3", "SUCCEEDED": "#037F0C"}.get(v.execution_status, "#D91515")
        out = [cropped(Text.assemble(("execution ", "bold"), (v.execution_status, f"bold {look}")), width)]
        rows: list[Text] = []
        for row in self.rows:
            rows.extend(cropped(line, width) for line in self._row(row, status, width))
        catch_lines = [Text.assemble(("↪ Catch ", "bold #FF9900"), (c.source, "bold"), (f" [{c.error}] → ", "#FF9900"),
                                     (c.target, "bold")) for c in v.catches]  # wrapped: read whole
        room = height - 1 - sum(max(1, -(-line.cell_len // width)) for line in catch_lines)
        connectors = room >= 2 * len(rows) - 1  # room for a ↓ between rows
        for i, line in enumerate(rows):
            if connectors and i:
                out.append(Text("  ↓", style="dim"))
            out.append(line)
        return join(out + catch_lines)

    def _row(self, row: tuple[str, ...], status: dict[str, StateStatus], width: int) -> list[Text]:
        """One layer of states as coloured chips; wrapped when the column is narrow."""
        out: list[Text] = []
        line = Text()
        for name in row:
            color, symbol = STATUS_LOOK[status.get(name, StateStatus.NOT_STARTED)]
            started = status.get(name, StateStatus.NOT_STARTED) != StateStatus.NOT_STARTED
            chip = f" {symbol} {name} "
            if line.cell_len and line.cell_len + 1 + len(chip) > width:
                out.append(line)
                line = Text()
            if line.cell_len:
                line.append(" ")
            style = f"bold #FFFFFF on {color}" if started else f"{color}"
            kind = self.types.get(name, "")
            line.append(chip, style=style if kind != "Choice" else f"{style} italic")
        out.append(line)
        return out
