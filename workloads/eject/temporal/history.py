"""Both runs in one projection: Temporal's event types in order, and Temporal's status word.

A real run's steps are read from the server's history JSON; the mini-engine's from its history
written as Temporal's JSON (`engines.replay.temporal_history.to_temporal_json`, what `replay show
--format temporal` prints) and read back the same way, so both lists go through one reader
(`from_temporal_json`). That reader skips the events that belong to time skipping, not to the
workflow (WorkflowExecutionTimeSkippingTransitioned, WorkflowExecutionOptionsUpdated): they are
how the real run was driven, and the mini-engine's virtual clock needs neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engines.replay import HistoryEvent
from engines.replay.history import EventType
from engines.replay.temporal_history import from_temporal_json, to_temporal_json
from workloads.runs import WorkloadRun

#: the replay engine's describe status → Temporal's WorkflowExecutionStatus name
_STATUS = {"Running": "RUNNING", "Completed": "COMPLETED", "Failed": "FAILED", "Canceled": "CANCELED",
           "Terminated": "TERMINATED", "ContinuedAsNew": "CONTINUED_AS_NEW", "TimedOut": "TIMED_OUT"}


def steps_of(history: dict[str, Any], source: str) -> list[str]:
    """The event types of a history in Temporal's JSON, in order (time-skipping events left out)."""
    return [str(e.event_type) for e in from_temporal_json(history, source).events]


def mini_history(run: WorkloadRun) -> dict[str, Any]:
    """The mini-engine run's history as Temporal's JSON (what `replay show --format temporal` prints)."""
    details = run.replay
    events = [HistoryEvent(int(row["id"]), datetime.fromisoformat(row["time"]).timestamp(), EventType(row["type"]),
                           dict(row["attributes"])) for row in details.history]
    workflow_id = str(events[0].attributes.get("workflow_id", "")) if events else ""
    return to_temporal_json(events, workflow_id=workflow_id, run_id=details.run_id)


def mini_steps(run: WorkloadRun) -> list[str]:
    """The mini-engine run's steps in the real run's projection: Temporal's event types in order."""
    if not run.replay.history:
        return []
    return steps_of(mini_history(run), f"the replay engine's run of {run.workload} ({run.scenario})")


def mini_status(run: WorkloadRun) -> str:
    """The mini-engine run's status in Temporal's word (COMPLETED, FAILED, RUNNING...); a run that
    raised before it was read has none, which Temporal calls UNSPECIFIED."""
    return _STATUS.get(run.replay.workflow_status, "UNSPECIFIED")
