"""What a poll hands a worker: a claimed workflow or activity task, held under a lease.

Temporal's PollWorkflowTaskQueue / PollActivityTaskQueue responses, reduced to what the worker
needs. A claim is only good while its lease holds: every completion names the claim, and a
worker whose lease ran out (another worker took the task) gets `LeaseLost` instead of a write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engines.replay.history import HistoryEvent
from engines.replay.retry import RetryPolicy
from engines.replay.timeline import to_datetime


class LeaseLost(Exception):
    """This worker no longer holds the task (its lease expired and another worker took it)."""


@dataclass(frozen=True)
class WorkflowTaskClaim:
    task_id: int
    run_id: str
    workflow_id: str
    workflow_type: str
    started_event_id: int
    worker_id: str
    attempt: int = 1
    #: a retry of a failed task (attempt 2 on): its WorkflowTaskScheduled and WorkflowTaskStarted
    #: are not stored until the task completes (Temporal's transient workflow task); the worker
    #: replays with them appended to the stored history
    transient: tuple[HistoryEvent, ...] = ()


@dataclass(frozen=True)
class ActivityClaim:
    task_id: int
    run_id: str
    workflow_id: str
    scheduled_event_id: int
    activity_id: str
    activity_type: str
    args: list
    attempt: int
    retry: RetryPolicy
    start_to_close: float
    scheduled_time: datetime
    heartbeat_details: Any
    worker_id: str

    @classmethod
    def from_task(cls, task_id: int, run_id: str, scheduled_event_id: int, attempt: int, first_scheduled_at: float,
                  payload: dict[str, Any], heartbeat_details: Any, worker_id: str) -> "ActivityClaim":
        """The claim for an activity task row (its payload is the ActivityTaskScheduled attributes)."""
        return cls(task_id=task_id, run_id=run_id, workflow_id=payload["workflow_id"],
                   scheduled_event_id=scheduled_event_id, activity_id=payload["activity_id"],
                   activity_type=payload["activity_type"], args=payload["input"], attempt=attempt,
                   retry=RetryPolicy.from_json(payload["retry_policy"]), start_to_close=payload["start_to_close_timeout"],
                   scheduled_time=to_datetime(first_scheduled_at), heartbeat_details=heartbeat_details,
                   worker_id=worker_id)


@dataclass(frozen=True)
class EagerRequest:
    """A worker that will run the run's next task at once, if a completion can hand it one.

    Temporal's eager activity execution and sticky workflow tasks: the completion that schedules
    the next task claims it for this worker in the same transaction (same lease and attempt as a
    poll would give), which saves a poll and a claim transaction. A worker asks only when it will
    run the task right away; if it dies first, the lease runs out as with any claimed task.
    """

    worker_id: str
    task_queue: str
    workflow_types: frozenset[str]
    activity_types: frozenset[str]
