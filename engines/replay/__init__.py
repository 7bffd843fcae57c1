"""The replay engine: Temporal's model of durable execution, small but real.

Workflow code is a plain `async def (ctx, ...)`; every step it takes is recorded in an
append-only event history in SQLite, and on every workflow task the code is replayed from the
top against that history. Workers poll task queues with leases, so one can be killed (even with
SIGKILL) and another picks the work up where the history says it stands.

    from engines.replay import Client, Worker, Server, RetryPolicy, Saga, activity, workflow
"""

from engines.replay import activity, workflow
from engines.replay.client import Client, WorkflowHandle
from engines.replay.context import ChildWorkflowHandle, WorkflowContext, WorkflowInfo
from engines.replay.driver import Driver
from engines.replay.errors import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    FailureError,
    HistoryLimitError,
    NondeterminismError,
    NotRegisteredError,
    PayloadError,
    QueryError,
    ReplayError,
    WorkerCrashed,
    WorkflowAlreadyStartedError,
    WorkflowNotClosedError,
    WorkflowNotFoundError,
    WorkflowTaskError,
)
from engines.replay.executions import WorkflowExecution, WorkflowExecutionStatus
from engines.replay.history import EventType, HistoryEvent
from engines.replay.limits import HistoryLimits
from engines.replay.retry import RetryPolicy, RetryState
from engines.replay.runtime import WorkflowRuntime
from engines.replay.saga import Saga
from engines.replay.server import Server
from engines.replay.trace_kinds import TraceKind
from engines.replay.worker import Worker, WorkerStats

__all__ = [
    "ActivityError", "ApplicationError", "ChildWorkflowError", "ChildWorkflowHandle", "Client", "Driver", "EventType",
    "FailureError", "HistoryEvent", "HistoryLimitError", "HistoryLimits", "NondeterminismError", "NotRegisteredError",
    "PayloadError", "QueryError", "ReplayError", "RetryPolicy", "RetryState", "Saga", "Server", "TraceKind", "Worker",
    "WorkerCrashed", "WorkerStats", "WorkflowAlreadyStartedError", "WorkflowContext", "WorkflowExecution",
    "WorkflowExecutionStatus", "WorkflowHandle", "WorkflowInfo", "WorkflowNotClosedError", "WorkflowNotFoundError",
    "WorkflowRuntime", "WorkflowTaskError", "activity", "workflow",
]
