"""Replaying a recorded history against workflow code with no server: Temporal's `Replayer`.

`temporalio.worker.Replayer(workflows=[...]).replay_workflow(history)` runs the code against a
history and fails on any nondeterminism; this is the same for this engine's driver. The history
may come from this engine's store or from a real Temporal server (`from_temporal_json`), which is
how a history recorded by real Temporal is checked against this engine's version of the workflow.
Nothing is written anywhere: a replay only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from engines.replay.context import WorkflowInfo
from engines.replay.driver import Driver
from engines.replay.errors import NotRegisteredError, ReplayError
from engines.replay.history import CHILD_UNSUCCESSFUL_EVENTS, EventType, HistoryEvent
from engines.replay.temporal_history import TemporalHistory
from engines.replay.workflow import workflow_name

#: how a recorded history ends, by its last event (a run still open ends otherwise)
_CLOSING = frozenset({EventType.WORKFLOW_EXECUTION_COMPLETED, EventType.WORKFLOW_EXECUTION_FAILED,
                      EventType.WORKFLOW_EXECUTION_CANCELED, EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
                      EventType.WORKFLOW_EXECUTION_TERMINATED}) | CHILD_UNSUCCESSFUL_EVENTS


@dataclass(frozen=True)
class ReplayResult:
    """What one replay found: the events it walked and the recorded commands the code re-issued."""

    workflow_id: str
    workflow_type: str
    events: int
    matched_commands: int
    closed: bool  # the history holds the run's close, and the code closed it the same way


class Replayer:
    """Replays histories against registered workflow functions (by workflow type name)."""

    def __init__(self, workflows: Iterable[Callable] | Mapping[str, Callable]) -> None:
        self.workflows = dict(workflows) if isinstance(workflows, Mapping) else {workflow_name(w): w for w in workflows}

    def replay_workflow(self, history: TemporalHistory | list[HistoryEvent], *, workflow_id: str = "",
                        run_id: str = "") -> ReplayResult:
        """Run the code of the history's workflow type against it. Raises NondeterminismError
        (or WorkflowTaskError) exactly as a worker's workflow task would."""
        if isinstance(history, TemporalHistory):
            events, workflow_id, run_id = history.events, history.workflow_id or workflow_id, history.run_id or run_id
        else:
            events = history
        if not events or events[0].event_type != EventType.WORKFLOW_EXECUTION_STARTED:
            raise ReplayError("a history to replay must start with WorkflowExecutionStarted")
        first = events[0].attributes
        workflow_type = str(first.get("workflow_type", ""))
        fn = self.workflows.get(workflow_type)
        if fn is None:
            raise NotRegisteredError(f"workflow type {workflow_type!r} of the history is not registered "
                                     f"(known: {', '.join(sorted(self.workflows)) or 'none'})")
        info = WorkflowInfo(workflow_id=workflow_id or str(first.get("workflow_id", "")), run_id=run_id or "replay",
                            workflow_type=workflow_type, task_queue=str(first.get("task_queue", "default")),
                            start_time=events[0].time, continued_from_run_id=first.get("continued_from_run_id"),
                            parent_workflow_id=first.get("parent_workflow_id"))
        driver = Driver(fn, info)
        driver.run(events, live=False)
        return ReplayResult(workflow_id=info.workflow_id, workflow_type=workflow_type, events=len(events),
                            matched_commands=driver.matched_commands, closed=events[-1].event_type in _CLOSING)
