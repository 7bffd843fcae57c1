"""The history inspector: the replay event history, the DAG's task-instance grid and the state
machine's execution events beside a drawing of its states — of the last side-by-side run.

The two event histories are grouped as their real consoles group them (Temporal's Web UI: an
activity's scheduled/started/completed as one row; the Step Functions console: a state's events
together), each group a tree node that expands to its events, and the node under the cursor is
shown whole, attributes and payloads, in a detail pane beside it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static, TabbedContent, TabPane, Tree

from app.screens.guarded import GuardedScreen
from app.widgets.footer import Footer
from app.widgets.event_groups import EventGroup, state_groups, temporal_groups
from app.widgets.history import event_detail, group_label, grid_table, history_rows, states_drawing

#: Below this many columns the inspector stacks its list over its detail pane.
NARROW = 100

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun


class HistoryScreen(GuardedScreen):
    """Three tabs, one per engine, over the app's latest runs (attributes down from the app)."""

    CSS_PATH = Path(__file__).with_name("history.tcss")  # absolute: subclasses live elsewhere
    BINDINGS = [
        Binding("1", "tab('tab-replay')", "Replay history", id="history.replay", tooltip="The replay engine's event history"),
        Binding("2", "tab('tab-dag')", "DAG grid", id="history.dag", tooltip="The DAG's task-instance grid"),
        Binding("3", "tab('tab-statemachine')", "State machine", id="history.statemachine", tooltip="Execution events and the states"),
    ]

    class RunsLoaded(Message):
        def __init__(self, runs: dict[str, WorkloadRun] | None, problem: str = "") -> None:
            super().__init__()
            self.runs = runs
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.shown: dict[str, WorkloadRun] | None = None
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static("", id="history-title")
        with TabbedContent(id="history-tabs"):
            with TabPane("Replay history", id="tab-replay"):
                with Horizontal():
                    yield Tree("history", id="replay-history")
                    with VerticalScroll(id="replay-detail-box", classes="detail-box"):
                        yield Static("", id="replay-detail")
            with TabPane("DAG grid", id="tab-dag"):
                with VerticalScroll():
                    yield Static("", id="dag-grid")
            with TabPane("State machine", id="tab-statemachine"):
                with Horizontal():
                    yield Tree("execution", id="sm-events")
                    with VerticalScroll(id="sm-drawing-box", classes="detail-box"):
                        yield Static("", id="sm-detail")
                        yield Static("", id="sm-drawing")
        yield Footer()

    def on_mount(self) -> None:
        for tree in self.query(Tree):
            tree.show_root = False
            tree.guide_depth = 2
        self.refresh_from_app()

    def on_resize(self) -> None:
        # Under NARROW columns (a projector's ~76), the detail pane goes under the list, not beside it.
        self.set_class(self.app.size.width < NARROW, "-narrow")

    def on_screen_resume(self) -> None:
        self.refresh_from_app()

    def refresh_from_app(self) -> None:
        runs = getattr(self.app, "latest_runs", None)
        if runs is None:
            if not self._loading:
                self._loading = True
                self.query_one("#history-title", Static).update(" running order-1001 (happy) to have something to inspect…")
                self.load_default()
        elif runs is not self.shown:
            self.show(runs)

    @work(thread=True, group="history-load")
    def load_default(self) -> None:
        from workloads.runner import run_side_by_side

        try:
            self.post_message(self.RunsLoaded(run_side_by_side("order-1001", "happy")))
        except Exception as exc:  # show it, don't crash
            self.post_message(self.RunsLoaded(None, f"order-1001 failed: {type(exc).__name__}: {exc}"))

    @on(RunsLoaded)
    def runs_loaded(self, event: RunsLoaded) -> None:
        self._loading = False
        if event.runs is None:
            self.query_one("#history-title", Static).update(Text(event.problem, style="bold red"))
            return
        self.app.runs_updated(event.runs)  # type: ignore[attr-defined]
        self.show(event.runs)

    def show(self, runs: dict[str, WorkloadRun]) -> None:
        """Fill the three tabs from `runs` (engine -> WorkloadRun)."""
        self.shown = runs
        any_run = next(iter(runs.values()), None)
        title = f" {any_run.workload} · scenario {any_run.scenario}" if any_run else ""
        replay = runs.get("replay")
        if replay is not None:
            title += f" · replay: {replay.replay.replayed_events} events replayed, {replay.replay.live_commands} live commands"
        self.query_one("#history-title", Static).update(Text(title, style="bold"))
        self._show_replay(runs.get("replay"))
        dag = runs.get("dag")
        self.query_one("#dag-grid", Static).update(
            grid_table(dag.dag.grid) if dag is not None else Text("no DAG run", style="italic")
        )
        self._show_statemachine(runs.get("statemachine"))

    def _show_replay(self, run: WorkloadRun | None) -> None:
        tree: Tree = self.query_one("#replay-history", Tree)
        tree.clear()
        previous: bool | None = None
        for group in temporal_groups(history_rows(run)):
            replayed = group.replayed
            if previous is True and replayed is False:
                tree.root.add_leaf(Text("── replayed above · live below ──", style="bold magenta"))
            previous = replayed if replayed is not None else previous
            _add_group(tree, group, dim=bool(replayed))
        self._select_first(tree, "#replay-detail")

    def _show_statemachine(self, run: WorkloadRun | None) -> None:
        tree: Tree = self.query_one("#sm-events", Tree)
        tree.clear()
        drawing = self.query_one("#sm-drawing", Static)
        if run is None:
            drawing.update(Text("no state machine run", style="italic"))
            return
        visited: set[str] = set()
        current = None
        for group in state_groups(history_rows(run)):
            if group.name and group.kind == "State":
                visited.add(group.name)
                current = group.name
            _add_group(tree, group)
        self._select_first(tree, "#sm-detail")
        drawing.update(states_drawing(run.statemachine.states, visited, current))

    def _select_first(self, tree: Tree, detail: str) -> None:
        first = next(iter(tree.root.children), None)
        self.query_one(detail, Static).update(event_detail(first.data) if first is not None else "")

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        target = "#replay-detail" if event.control.id == "replay-history" else "#sm-detail"
        self.query_one(target, Static).update(event_detail(event.node.data))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab


def _add_group(tree: Tree, group: EventGroup, *, dim: bool = False) -> None:
    """One node per group, its events as leaves; a lone event is a leaf of its own."""
    label = group_label(group, dim=dim)
    if len(group.events) == 1:
        tree.root.add_leaf(label, data=group.events[0])
        return
    node = tree.root.add(label, data=group)
    for event in group.events:
        node.add_leaf(group_label(event, dim=dim), data=event)
