"""Under each column: why this engine handled the scenario as it did, and the outcome.

The "why" is one sentence in plain words built from the engine's own records (the replay
history's signals and timers, the DAG's sensor and cancel, the execution's Catch), so it says
what this run did, not what a script expected. The outcome line carries colour AND a symbol
(✓ ✗ ⚠), so it reads on a projector and for a colour-blind student; its status word is the
engine's own (Temporal's Completed, Airflow's failed, Step Functions' SUCCEEDED / ABORTED).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from app.widgets.run.event_history import RowKind, RowState, compact_rows, history_events
from app.widgets.run.state_graph import sfn_events, state_view_at
from app.widgets.timeline import Scale, day_of

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun


@dataclass(frozen=True)
class OutcomeMark:
    symbol: str      # ✓ ✗ ⚠
    style: str
    status: str      # the engine's own status word
    words: str       # money and goods, from the services' ledger


def engine_status(run: WorkloadRun) -> str:
    """The run's final status in its engine's own words."""
    if run.engine == "replay":
        return run.replay.workflow_status
    if run.engine == "dag":
        return str(run.dag.run_state)
    return run.statemachine.execution_status


def outcome_mark(run: WorkloadRun) -> OutcomeMark:
    """✓ when the run ended with nothing wrong, ✗ when money or goods were left wrong or it
    failed, ⚠ for anything else the verifier flagged (or a run still open)."""
    from workloads.verifier import describe_outcome

    o = run.outcome
    words = describe_outcome(o).split(", ", 1)
    money = words[1] if len(words) > 1 else ""
    status = o.status.value
    unrefunded = o.charged_cents > o.refunded_cents and not o.shipped
    if status in ("failed", "timed_out") or unrefunded:
        return OutcomeMark("✗", "bold red", engine_status(run), money)
    if o.problems or status in ("waiting", "running"):
        return OutcomeMark("⚠", "bold yellow", engine_status(run), money)
    return OutcomeMark("✓", "bold green", engine_status(run), money)


def why(run: WorkloadRun, scale: Scale) -> str:
    """One sentence: why this engine handled this scenario the way it did."""
    if run.engine == "replay":
        return _why_replay(run, scale)
    if run.engine == "dag":
        return _why_dag(run, scale)
    return _why_statemachine(run, scale)


def _why_replay(run: WorkloadRun, scale: Scale) -> str:
    d = run.replay
    rows = compact_rows(history_events(d.history), float("inf"))
    signals = [r for r in rows if r.kind == RowKind.SIGNAL]
    timers = [r for r in rows if r.kind == RowKind.TIMER]
    acts = [r for r in rows if r.kind == RowKind.ACTIVITY]
    crashes = [e for e in run.trace if e.kind == "WorkerCrashed"]
    retried = [r for r in acts if r.attempt > 1]
    failed = [r for r in acts if r.state in (RowState.FAILED, RowState.TIMED_OUT)]
    if crashes:
        return (f"the worker died on {scale.label(day_of(crashes[0].time))}; a new worker replayed the "
                f"{d.replayed_events} recorded events, rebuilt where the code stood and carried on: nothing ran twice")
    if signals:
        s = signals[0]
        after = [r.name for r in acts if r.first_id > s.first_id]
        woke = " left its durable timer and" if any(t.state == RowState.CANCELED for t in timers) else ""
        ran = f" ran {', '.join(after)}" if after else " went on"
        return f"{s.name} came on {scale.label(s.day)} as a signal event; the code{woke}{ran}"
    if retried:
        r = retried[0]
        return (f"{r.name} failed {r.attempt - 1} time{'s' if r.attempt > 2 else ''} and the engine retried it under "
                "its RetryPolicy; the code only saw the result")
    if failed:
        return f"{failed[0].name} failed with an error the RetryPolicy does not retry, so the workflow failed"
    fired = [t for t in timers if t.state == RowState.FIRED]
    if fired:
        return (f"the wait of {fired[0].detail} is a durable timer: a row in the history, no worker held; "
                f"it fired on {scale.label(fired[0].day)} and the code went on")
    if timers:
        return "the wait is a durable timer: a row in the history, no worker held while it runs"
    return f"the code awaited {len(acts)} activities in order; each result is recorded in the history"


def _why_dag(run: WorkloadRun, scale: Scale) -> str:
    from engines.dag import NO_ACTOR

    d = run.dag
    marked = next((e for e in run.trace if e.kind == "DagRun marked failed"), None)
    o = run.outcome
    if marked is not None:
        left = o.charged_cents - o.refunded_cents
        money = f"; the ${left / 100:,.2f} stays charged" if left > 0 else ""
        return f"Airflow has no signals: a cancel can only mark the run failed, with {NO_ACTOR}{money}"
    timeout = next((e for e in run.trace if e.kind == "TaskInstance failed" and e.data.get("error") == "AirflowSensorTimeout"), None)
    sensors = [t for t in d.pokes_by_task if d.pokes_by_task[t]]
    held = sum(d.slot_seconds_by_task.get(t, 0.0) for t in sensors) / 86400
    mode = f" in {d.mode} mode" if d.mode else ""
    if timeout is not None:
        limit = f" of {scale.span(d.sensor_timeout_seconds / 86400)}" if d.sensor_timeout_seconds else ""
        return (f"the wait became a sensor{mode}: it held a worker slot for {scale.span(held)}, hit its timeout{limit} "
                f"on {scale.label(day_of(timeout.time))}, and the tasks after it became upstream_failed")
    if sensors:
        return f"the wait became a sensor{mode}, holding a worker slot for {scale.span(held)} while it poked"
    tries = {r["task_id"]: int(r["try_number"]) for r in d.grid}
    retried = [t for t, n in tries.items() if n > 1]
    if retried:
        return f"{retried[0]} took {tries[retried[0]]} tries: Airflow re-runs a failed task from scratch as a new try"
    failed = [t for t, s in d.task_states.items() if str(s) == "failed"]
    if failed:
        return f"{failed[0]} failed and the tasks downstream of it became upstream_failed: nothing undoes what ran"
    return f"{len(d.task_states)} short tasks ran in dependency order, each holding a worker slot only while it ran"


def _why_statemachine(run: WorkloadRun, scale: Scale) -> str:
    d = run.statemachine
    names = [s["name"] for s in d.states]
    view = state_view_at(names, sfn_events(d.history), float("inf"))
    if d.execution_status == "ABORTED":
        return "StopExecution ended the execution ABORTED: no Catch runs, so nothing was compensated"
    if view.catches:
        c = view.catches[0]
        if c.error == "States.Timeout":
            return (f"{c.source} waited on its task token until TimeoutSeconds; its Catch on States.Timeout "
                    f"went to {c.target} on {scale.label(c.day)}")
        after = [n for n in view.lit if names.index(n) > names.index(c.source) and n != c.target]
        return f"{c.source} failed with {c.error} on {scale.label(c.day)}; its Catch ran {', '.join([c.target, *after])}"
    failed = [n for n, s in view.statuses if s == "failed"]
    if failed:
        return f"{failed[0]} failed and no Catch matched, so the execution {d.execution_status}"
    return f"the states ran as the JSON definition says: {len(view.lit)} states, nothing to replay"


class WhyLine(Static):
    """The why sentence (wrapped, never cut) and, once the run is over, the outcome."""

    DEFAULT_CSS = "WhyLine { height: auto; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.why = ""
        self.mark: OutcomeMark | None = None
        self.short = ""
        self.finished = False
        self.compact = False

    def show(self, run: WorkloadRun, scale: Scale) -> None:
        self.why = why(run, scale)
        self.mark = outcome_mark(run)
        self.short = short_outcome(run)
        self.finished = False
        self._paint()

    def at_end(self, finished: bool) -> None:
        if finished != self.finished:
            self.finished = finished
            self._paint()

    def set_compact(self, compact: bool) -> None:
        if compact != self.compact:
            self.compact = compact
            self._paint()

    def outcome_text(self) -> Text:
        if self.mark is None:
            return Text("")
        if not self.finished:
            return Text("… running", style="dim")
        words = self.short if self.compact else self.mark.words
        return Text.assemble((f"{self.mark.symbol} {self.mark.status}", self.mark.style), (f" · {words}" if words else "", "bold"))

    def _paint(self) -> None:
        self.update(Text.assemble(("why: ", "bold"), (self.why, "italic"), "\n", self.outcome_text()))


def short_outcome(run: WorkloadRun) -> str:
    """The money in a few words, for the compact layout: `$42.00 charged, not refunded`."""
    o = run.outcome
    if not o.charged_cents:
        return outcome_mark(run).words.split(", ")[0] if outcome_mark(run).words else ""
    charged = f"${o.charged_cents / 100:,.2f} charged"
    if o.refunded_cents:
        return f"{charged}, ${o.refunded_cents / 100:,.2f} refunded"
    return f"{charged}, shipped" if o.shipped else f"{charged}, not refunded"
