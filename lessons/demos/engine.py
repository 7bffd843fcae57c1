"""A replay engine for one demo, composed from the engine's public API, and ways to read it back.

Each demo gets its own store (in memory, or a real SQLite file when the scene is about the
disk), its own virtual clock from day 0 and the four services on the same store. Workers get
readable ids (`s05-worker-2`), so the lines a demo prints are the same on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engines.clock import EPOCH, VirtualClock, day_of
from engines.replay import Client, HistoryEvent, HistoryLimits, Server, Worker
from engines.replay.history import COMMAND_EVENTS
from engines.store import open_store
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.order_1001.order import ORDER_ID, WORKFLOW_ID
from workloads.order_1001.replay import WORKFLOWS, OrderActivities
from workloads.details import ReplayDetails
from workloads.runs import WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Ledger, Services

#: Which service call each of the order's steps makes: (service, ledger kind).
STEP_CALLS: dict[str, tuple[str, str]] = {
    "ChargeCard": ("payment", "charge"),
    "RefundCard": ("payment", "refund"),
    "ReserveInventory": ("inventory", "reservation"),
    "ReleaseInventory": ("inventory", "release"),
    "ShipPackage": ("shipping", "shipment"),
    "SendConfirmationEmail": ("email", "email"),
}


class DemoEngine:
    """Server, client, services and trace over one store, on a virtual clock starting at day 0."""

    def __init__(self, scene: str, db: str | Path = ":memory:", *, workflows: Iterable[Callable] = WORKFLOWS,
                 limits: HistoryLimits | None = None) -> None:
        self.scene = scene
        self.clock = VirtualClock(EPOCH)
        self.store = open_store(db)
        self.services = Services(self.store, self.clock)
        self.trace = TraceRecorder("replay")
        self.server = Server(self.store, self.clock, trace=self.trace, limits=limits)
        self.workflows = list(workflows)
        self.client = Client(self.server, self.workflows)
        self.activities = OrderActivities(self.services).all()  # a demo may append its own
        self.workers: list[Worker] = []

    def worker(self, workflows: Iterable[Callable] | None = None, **options: Any) -> Worker:
        """A new in-process worker in skip-time mode (idle days pass in no time).

        The course's scenes teach replay from the top on every workflow task, so their workers keep
        no sticky cache unless a scene asks for one (scene 03 shows both costs).
        """
        options.setdefault("max_cached_workflows", 0)
        options.setdefault("identity", f"s{self.scene}-worker-{len(self.workers) + 1}")
        w = Worker(self.server, workflows=list(workflows) if workflows is not None else self.workflows,
                   activities=self.activities, skip_time=True, **options)
        self.workers.append(w)
        return w

    def day(self, n: float) -> datetime:
        return EPOCH + timedelta(days=n)

    def history(self, workflow_id: str = WORKFLOW_ID) -> list[HistoryEvent]:
        return self.client.history(workflow_id)

    def rows(self, workflow_id: str = WORKFLOW_ID) -> list[dict[str, Any]]:
        return self.client.history_rows(workflow_id)

    def statement_cents(self, order_id: str = ORDER_ID) -> int:
        return self.services.ledger(order_id).statement_cents(order_id)

    def calls(self, step: str) -> list[dict[str, Any]]:
        """Every call the step's service received for that operation, answered or not."""
        service, kind = STEP_CALLS[step]
        return [c for c in self.services.calls(service) if c["operation"] == kind]

    def close(self) -> None:
        """Stop the workers still alive (crashed ones are already gone) and close the store."""
        for w in self.workers:
            if not w.dead:
                w.stop()
        self.store.close()

    def workload_run(self, scenario: str, workflow_id: str = WORKFLOW_ID, order_id: str = ORDER_ID) -> WorkloadRun:
        """This engine's run of `workflow_id` in the shape every engine returns (ledger-based outcome).

        Its details leave the history rows out: the history inspector then shows the run's trace,
        and a demo hands the rows it is about in `DemoResult.history`."""
        d = self.client.describe(workflow_id)
        problems = [p for w in self.workers for p in w.stats.problems]
        status = run_status(d.status, d.result, d.stuck)
        if d.failure:
            problems.append(f"workflow {d.status.lower()}: {d.failure.get('message', '')}")
        ledger = self.services.ledger(order_id)
        outcome = outcome_from_ledger("replay", status, ledger, order_id, events=d.history_length,
                                      problems=problems, result=d.result)
        details = replace(ReplayDetails.of(self.client, workflow_id, self.workers), history=[])
        return WorkloadRun(engine="replay", workload=WorkloadName.ORDER_1001, scenario=scenario,
                           trace=list(self.trace.events), outcome=outcome, ledger=ledger, details=details)


def run_status(status: str, result: Any, stuck: str | None) -> OutcomeStatus:
    """A replay run's status as an Outcome status (a completed cancel counts as canceled)."""
    if status == "Completed":
        cancelled = isinstance(result, dict) and result.get("status") == "cancelled"
        return OutcomeStatus.CANCELED if cancelled else OutcomeStatus.COMPLETED
    if status in ("Failed", "Terminated"):
        return OutcomeStatus.FAILED
    if status == "Canceled":
        return OutcomeStatus.CANCELED
    return OutcomeStatus.RUNNING if stuck else OutcomeStatus.WAITING


# --- reading a history --------------------------------------------------------------------------
def when(t: datetime | float) -> str:
    """A virtual time as the course says it: "day 3 00:00:10"."""
    if not isinstance(t, datetime):
        t = datetime.fromtimestamp(t, EPOCH.tzinfo)
    return f"day {int(day_of(t))} {t:%H:%M:%S}"


def money(cents: int) -> str:
    return f"${cents / 100:,.0f}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 charge", "2 charges" ("1 crash", "2 crashes" with `many`)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def money_lines(ledger: Ledger) -> list[str]:
    """The card statement: the ledger's charges and refunds, one line each."""
    return Ledger(entries=[e for e in ledger.entries if e.kind in ("charge", "refund")]).statement_lines()


def of_type(events: Iterable[HistoryEvent], event_type: str, activity_type: str | None = None) -> list[HistoryEvent]:
    """The events of one type (optionally for one activity type), in history order."""
    return [e for e in events if e.event_type == event_type
            and (activity_type is None or e.attributes.get("activity_type") == activity_type)]


def scheduled_steps(events: Iterable[HistoryEvent]) -> list[str]:
    """The activity types the code asked for, in the order it asked."""
    return [e.attributes["activity_type"] for e in of_type(events, "ActivityTaskScheduled")]


def completed_steps(events: Iterable[HistoryEvent]) -> list[str]:
    return [e.attributes["activity_type"] for e in of_type(events, "ActivityTaskCompleted")]


def is_command(event: HistoryEvent) -> bool:
    """Written because the workflow code issued a command (checked on every replay)."""
    return event.event_type in COMMAND_EVENTS


def fold(events: Iterable[HistoryEvent]) -> dict[str, Any]:
    """The order's state computed from its events alone, left to right (event sourcing).

    No process memory is consulted: this is what any new worker can know after a crash.
    """
    state: dict[str, Any] = {"status": "not started", "done": [], "results": {}, "in_flight": [], "timer": None,
                             "signals": []}
    scheduled: dict[int, str] = {}
    for e in events:
        t, a = e.event_type, e.attributes
        if t == "WorkflowExecutionStarted":
            state["status"] = "running"
        elif t == "ActivityTaskScheduled":
            scheduled[e.event_id] = a["activity_type"]
            state["in_flight"].append(a["activity_type"])
        elif t in ("ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut"):
            step = scheduled.get(a["scheduled_event_id"], a.get("activity_type", "?"))
            if step in state["in_flight"]:
                state["in_flight"].remove(step)
            if t == "ActivityTaskCompleted":
                state["done"].append(step)
                result = a.get("result")
                state["results"][step] = result.get("id") if isinstance(result, dict) else result
            else:
                state.setdefault("failed", []).append(step)
        elif t == "TimerStarted":
            state["timer"] = f"due {when(datetime.fromisoformat(a['fire_at']))}"
        elif t == "TimerFired":
            state["timer"] = "fired"
        elif t == "WorkflowExecutionSignaled":
            state["signals"].append(a["signal_name"])
        elif t.startswith("WorkflowExecution") and t not in ("WorkflowExecutionStarted", "WorkflowExecutionSignaled"):
            state["status"] = t[len("WorkflowExecution"):].lower()
    return state


def describe_state(state: dict[str, Any]) -> str:
    """A folded state in plain words: "status running; done ChargeCard (charge-1); timer due day 30"."""
    done = ", ".join(f"{s} ({state['results'][s]})" if state["results"].get(s) else s for s in state["done"]) or "nothing"
    parts = [f"status {state['status']}", f"done {done}"]
    if state["in_flight"]:
        parts.append(f"in flight {', '.join(state['in_flight'])}")
    if state["timer"]:
        parts.append(f"timer {state['timer']}")
    if state["signals"]:
        parts.append(f"signals {', '.join(state['signals'])}")
    return "; ".join(parts)


def worker_seconds_held(events: list[HistoryEvent]) -> float:
    """Virtual seconds workers held tasks of this run: each task's started → completed/failed span.

    Read from the history, so it counts what the engine saw: a dormant run holds nothing.
    """
    started = {e.event_id: e.ts for e in events if e.event_type in ("WorkflowTaskStarted", "ActivityTaskStarted")}
    ends = ("WorkflowTaskCompleted", "WorkflowTaskFailed", "ActivityTaskCompleted", "ActivityTaskFailed",
            "ActivityTaskTimedOut")
    return sum(e.ts - started[e.attributes["started_event_id"]] for e in events
               if e.event_type in ends and e.attributes.get("started_event_id") in started)


def event_line(row: dict[str, Any]) -> str:
    """One history row in plain words: "#7 day 0 00:00:00 ActivityTaskCompleted ChargeCard"."""
    a = row["attributes"]
    what = a.get("activity_type") or a.get("signal_name") or a.get("marker_name") or a.get("timer_id") or ""
    if row["type"].startswith("Timer"):
        what = f"timer {what}"
    t = datetime.fromisoformat(row["time"])
    return f"#{row['id']} {when(t)} {row['type']} {what}".rstrip()
