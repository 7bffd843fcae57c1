"""Workflow executions (runs): their record, their status, and how one starts and closes.

A workflow id names a line of runs (continue-as-new adds one); at most one of them is Running.
Starting a run records WorkflowExecutionStarted and schedules its first workflow task; closing it
records the closing event, removes its tasks and timers, and tells a running parent through a
ChildWorkflowExecution* event in the parent's history.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Mapping

from engines import jsonio
from engines.replay.errors import ReplayError, WorkflowAlreadyStartedError, WorkflowNotFoundError
from engines.replay.history import EventType
from engines.replay.history_store import HistoryStore
from engines.replay.limits import HistoryLimits
from engines.replay.payloads import to_json_text
from engines.replay.task_queues import TaskQueues
from engines.replay.timeline import to_datetime
from engines.replay.timers import TimerQueue
from engines.replay.trace_kinds import TraceKind
from engines.replay.workflow_tasks import WorkflowTasks
from engines.trace import Severity


class WorkflowExecutionStatus(StrEnum):
    """A run's status (temporalio.client.WorkflowExecutionStatus); the values are the stored text."""

    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"
    TERMINATED = "Terminated"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    TIMED_OUT = "TimedOut"


#: the parent's event when a child closes with that status (the others count as terminated)
_CHILD_CLOSED: Mapping[str, EventType] = MappingProxyType({
    WorkflowExecutionStatus.COMPLETED: EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED,
    WorkflowExecutionStatus.FAILED: EventType.CHILD_WORKFLOW_EXECUTION_FAILED,
    WorkflowExecutionStatus.CANCELED: EventType.CHILD_WORKFLOW_EXECUTION_CANCELED,
})

#: a run's columns plus its history length (the highest event id: the history is the counter)
_RUN_SELECT = ("SELECT *, (SELECT COALESCE(MAX(h.event_id), 0) FROM rp_history h WHERE h.run_id = rp_runs.run_id) "
               "AS history_length FROM rp_runs")


@dataclass(frozen=True)
class WorkflowExecution:
    """One run as `describe` / `list` show it."""

    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus
    input: list
    result: Any
    failure: dict | None
    stuck: str | None
    started_at: datetime
    closed_at: datetime | None
    history_length: int
    parent_run_id: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "WorkflowExecution":
        return cls(
            workflow_id=row["workflow_id"], run_id=row["run_id"], workflow_type=row["workflow_type"],
            task_queue=row["task_queue"], status=WorkflowExecutionStatus(row["status"]), input=jsonio.loads(row["input"]),
            result=jsonio.loads(row["result"]) if row["result"] is not None else None,
            failure=jsonio.loads(row["failure"]) if row["failure"] else None, stuck=row["stuck"],
            started_at=to_datetime(row["started_at"]),
            closed_at=to_datetime(row["closed_at"]) if row["closed_at"] is not None else None,
            history_length=row["history_length"], parent_run_id=row["parent_run_id"])

    def to_json(self) -> dict[str, Any]:
        return {"workflow_id": self.workflow_id, "run_id": self.run_id, "workflow_type": self.workflow_type,
                "task_queue": self.task_queue, "status": str(self.status), "input": self.input, "result": self.result,
                "failure": self.failure, "stuck": self.stuck, "started_at": self.started_at.isoformat(),
                "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "history_length": self.history_length}


class Executions:
    """The runs of one store: look them up, start them, deliver to them, close them."""

    def __init__(self, history: HistoryStore, workflow_tasks: WorkflowTasks, queues: TaskQueues, timers: TimerQueue,
                 limits: HistoryLimits) -> None:
        self._history = history
        self._store = history.store
        self._timeline = history.timeline
        self._workflow_tasks = workflow_tasks
        self._queues = queues
        self._timers = timers
        self.limits = limits

    # --- reading ---------------------------------------------------------------------------------
    def run_row(self, workflow_id: str, run_id: str | None = None) -> sqlite3.Row:
        """The run's row: by run id (or a prefix of it), else the workflow id's latest run."""
        if run_id:
            row = self._store.one(f"{_RUN_SELECT} WHERE run_id = ? OR (workflow_id = ? AND run_id LIKE ?)",
                                  (run_id, workflow_id, run_id + "%"))
        else:
            row = self._store.one(f"{_RUN_SELECT} WHERE workflow_id = ? ORDER BY seq DESC LIMIT 1", (workflow_id,))
        if row is None:
            raise WorkflowNotFoundError(f"no workflow execution with id {workflow_id!r}"
                                        + (f" and run id {run_id!r}" if run_id else "") + f" in {self._store.path}")
        return row

    def describe(self, workflow_id: str, run_id: str | None = None) -> WorkflowExecution:
        return WorkflowExecution.from_row(self.run_row(workflow_id, run_id))

    def list_runs(self, workflow_id: str | None = None) -> list[WorkflowExecution]:
        """Every run in start order (of one workflow id if given)."""
        if workflow_id is None:
            rows = self._store.query(f"{_RUN_SELECT} ORDER BY seq")
        else:
            rows = self._store.query(f"{_RUN_SELECT} WHERE workflow_id = ? ORDER BY seq", (workflow_id,))
        return [WorkflowExecution.from_row(r) for r in rows]

    def running(self, c: sqlite3.Connection, workflow_id: str) -> str:
        """The run id of the workflow id's running run; a clear error if there is none."""
        row = c.execute("SELECT run_id FROM rp_runs WHERE workflow_id = ? AND status = ? ORDER BY seq DESC LIMIT 1",
                        (workflow_id, WorkflowExecutionStatus.RUNNING)).fetchone()
        if row is None:
            exists = c.execute("SELECT status FROM rp_runs WHERE workflow_id = ? ORDER BY seq DESC LIMIT 1",
                               (workflow_id,)).fetchone()
            if exists is None:
                raise WorkflowNotFoundError(f"no workflow execution with id {workflow_id!r} in {self._store.path}")
            raise ReplayError(f"workflow {workflow_id!r} is not running (status {exists[0]})")
        return row[0]

    # --- starting --------------------------------------------------------------------------------
    def start(self, c: sqlite3.Connection, workflow_type: str, args: list, workflow_id: str, task_queue: str, *,
              parent: tuple[str, int, str] | None = None, continued_from: str | None = None,
              run_id: str | None = None) -> str:
        """Create a run with WorkflowExecutionStarted and its first workflow task. Returns the run id.

        `parent` is (run id, StartChildWorkflowExecutionInitiated event id, workflow id) of a child's parent.
        """
        running = c.execute("SELECT run_id FROM rp_runs WHERE workflow_id = ? AND status = ?",
                            (workflow_id, WorkflowExecutionStatus.RUNNING)).fetchone()
        if running is not None:
            raise WorkflowAlreadyStartedError(f"workflow {workflow_id!r} is already running (run {running[0][:8]})")
        run_id = run_id or str(uuid.uuid4())
        seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM rp_runs").fetchone()[0]
        c.execute("INSERT INTO rp_runs (run_id, workflow_id, workflow_type, task_queue, status, input, started_at, "
                  "parent_run_id, parent_initiated_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (run_id, workflow_id, workflow_type, task_queue, WorkflowExecutionStatus.RUNNING,
                   to_json_text(args, f"input of {workflow_id}"), self._timeline.ts(),
                   parent[0] if parent else None, parent[1] if parent else None, seq))
        self._history.begin_run(run_id, workflow_id)
        attrs: dict[str, Any] = {"workflow_type": workflow_type, "task_queue": task_queue, "input": args,
                                 "workflow_id": workflow_id}
        if parent:
            attrs["parent_run_id"], attrs["parent_initiated_event_id"], attrs["parent_workflow_id"] = parent
        if continued_from:
            attrs["continued_from_run_id"] = continued_from
        self._history.append(c, run_id, EventType.WORKFLOW_EXECUTION_STARTED, attrs)
        self._workflow_tasks.schedule(c, run_id)
        return run_id

    def continue_as_new(self, c: sqlite3.Connection, run_id: str, args: list, attrs: dict[str, Any]) -> None:
        """Close the run as ContinuedAsNew and start its successor: same workflow id, type, queue
        and parent, a fresh history that starts from `args`."""
        run = c.execute("SELECT * FROM rp_runs WHERE run_id = ?", (run_id,)).fetchone()
        new_run = str(uuid.uuid4())
        self.close(c, run_id, WorkflowExecutionStatus.CONTINUED_AS_NEW, EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
                   {**attrs, "new_run_id": new_run})
        parent = (run["parent_run_id"], run["parent_initiated_id"], "") if run["parent_run_id"] else None
        self.start(c, run["workflow_type"], args, run["workflow_id"], run["task_queue"],
                   parent=parent, continued_from=run_id, run_id=new_run)

    # --- closing -----------------------------------------------------------------------------------
    def close(self, c: sqlite3.Connection, run_id: str, status: WorkflowExecutionStatus, event_type: EventType,
              attrs: dict[str, Any], *, result: Any = None, failure: dict[str, Any] | None = None) -> None:
        """Record the closing event and status; the run's tasks and timers go, a running parent hears of it."""
        self._history.append(c, run_id, event_type, attrs)
        c.execute("UPDATE rp_runs SET status = ?, result = ?, failure = ?, closed_at = ?, stuck = NULL WHERE run_id = ?",
                  (status, to_json_text(result, "workflow result") if result is not None else None,
                   jsonio.dumps_strict(failure) if failure else None, self._timeline.ts(), run_id))
        self._queues.drop_run(c, run_id)
        self._timers.drop_run(c, run_id)
        run = c.execute("SELECT parent_run_id, parent_initiated_id, workflow_id, workflow_type FROM rp_runs WHERE run_id = ?",
                        (run_id,)).fetchone()
        if run[0] and status != WorkflowExecutionStatus.CONTINUED_AS_NEW:
            parent_status = c.execute("SELECT status FROM rp_runs WHERE run_id = ?", (run[0],)).fetchone()
            if parent_status is not None and parent_status[0] == WorkflowExecutionStatus.RUNNING:
                self._tell_parent(c, run[0], status, {"initiated_event_id": run[1], "workflow_id": run[2],
                                                      "workflow_type": run[3], "run_id": run_id}, result, failure)

    def _tell_parent(self, c: sqlite3.Connection, parent_run_id: str, status: WorkflowExecutionStatus,
                     attrs: dict[str, Any], result: Any, failure: dict[str, Any] | None) -> None:
        event_type = _CHILD_CLOSED.get(status, EventType.CHILD_WORKFLOW_EXECUTION_TERMINATED)
        if event_type == EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED:
            attrs["result"] = result
        else:
            kind = event_type.removeprefix("ChildWorkflowExecution")  # Failed, Canceled, Terminated
            attrs["failure"] = failure or {"type": kind, "message": f"child {kind.lower()}"}
        self._workflow_tasks.add_input(c, parent_run_id, event_type, attrs)
        self._workflow_tasks.schedule(c, parent_run_id)

    def terminate(self, c: sqlite3.Connection, run_id: str, reason: str, failure_type: str = "Terminated") -> None:
        """Close the run as Terminated; events buffered for an in-flight task are written first."""
        self._workflow_tasks.flush_run(c, run_id)
        self.close(c, run_id, WorkflowExecutionStatus.TERMINATED, EventType.WORKFLOW_EXECUTION_TERMINATED, {"reason": reason},
                   failure={"type": failure_type, "message": reason})

    def enforce_limits(self, c: sqlite3.Connection, run_id: str) -> WorkflowExecutionStatus:
        """Temporal's history size limits: past `terminate` the run is terminated; past `warn`
        the trace says (once) that it is time to continue as new. Returns the run's status."""
        run = self._history.open_run(c, run_id)
        length = run.length
        if length >= self.limits.terminate:
            self.terminate(c, run_id, f"history size exceeded: {length} events (limit {self.limits.terminate})",
                           failure_type="HistorySizeExceeded")
            return WorkflowExecutionStatus.TERMINATED
        if length >= self.limits.warn and not run.warned:
            c.execute("UPDATE rp_runs SET warned = 1 WHERE run_id = ?", (run_id,))
            run.warned = 1
            self._history.emit(TraceKind.HISTORY_SIZE_WARNING, run.workflow_id,
                               f"the history has {length} events (warn at {self.limits.warn}, terminate at "
                               f"{self.limits.terminate}): time to continue as new", Severity.WARNING,
                               history_length=length)
        return WorkflowExecutionStatus.RUNNING
