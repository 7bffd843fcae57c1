"""The client: start, signal, query, cancel, describe and read the history of workflows.

A query needs the workflow's code (Temporal sends it to a worker); here the client replays the
history with the code it was given, and appends nothing.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from engines.clock import Clock
from engines.replay.context import WorkflowInfo
from engines.replay.driver import Driver
from engines.replay.errors import NotRegisteredError, WorkflowNotClosedError
from engines.replay.executions import WorkflowExecution, WorkflowExecutionStatus
from engines.replay.history import HistoryEvent, takeover_event_id
from engines.replay.limits import HistoryLimits
from engines.replay.payloads import to_payload
from engines.replay.server import Server
from engines.replay.workflow import workflow_name
from engines.store import Store
from engines.trace import TraceRecorder


class WorkflowHandle:
    """One workflow id (its latest run unless a run id is given)."""

    def __init__(self, client: "Client", workflow_id: str, run_id: str | None = None) -> None:
        self.client = client
        self.id = workflow_id
        self.run_id = run_id

    def describe(self) -> WorkflowExecution:
        return self.client.describe(self.id, self.run_id)

    def history(self) -> list[HistoryEvent]:
        return self.client.history(self.id, self.run_id)

    def signal(self, name: str, payload: Any = None) -> None:
        self.client.signal(self.id, name, payload)

    def query(self, name: str, *args: Any) -> Any:
        return self.client.query(self.id, name, *args)

    def cancel(self) -> None:
        self.client.cancel(self.id)

    def result(self) -> Any:
        """The result of the latest run (following continue-as-new); an error if not closed."""
        d = self.client.describe(self.id)
        if d.status == WorkflowExecutionStatus.RUNNING:
            raise WorkflowNotClosedError(f"workflow {self.id} is still running" + (f" (stuck: {d.stuck})" if d.stuck else ""))
        return d.result


class Client:
    """Talks to a `Server` (an SQLite file). Give it the workflow code to answer queries."""

    def __init__(self, server: Server, workflows: Iterable[Callable] | Mapping[str, Callable] = ()) -> None:
        self.server = server
        self.workflows = dict(workflows) if isinstance(workflows, Mapping) else {workflow_name(w): w for w in workflows}

    @classmethod
    def connect(cls, db: Store | str | Path, clock: Clock | None = None, *, workflows: Iterable[Callable] = (),
                trace: TraceRecorder | None = None, limits: HistoryLimits | None = None) -> "Client":
        return cls(Server(db, clock, trace=trace, limits=limits), workflows)

    def start(self, workflow: Callable | str, *args: Any, id: str, task_queue: str = "default") -> WorkflowHandle:
        """Start a workflow execution (`replay start NAME --id ID`). The first workflow task waits
        in the queue until a worker takes it."""
        self.server.sync_time()
        name = workflow_name(workflow)
        run_id = self.server.start_workflow(name, to_payload(list(args), f"input of {id}"), id, task_queue)
        return WorkflowHandle(self, id, run_id)

    def get_handle(self, workflow_id: str, run_id: str | None = None) -> WorkflowHandle:
        """A handle on an execution started elsewhere (temporalio's `get_workflow_handle`); an
        unknown id is an error now rather than at the handle's first use."""
        self.server.run_row(workflow_id, run_id)
        return WorkflowHandle(self, workflow_id, run_id)

    def signal(self, workflow_id: str, name: str, payload: Any = None) -> int | None:
        self.server.sync_time()
        return self.server.signal(workflow_id, name, to_payload(payload, f"payload of signal {name}"))

    def cancel(self, workflow_id: str, reason: str = "") -> None:
        self.server.sync_time()
        self.server.request_cancel(workflow_id, reason)

    def terminate(self, workflow_id: str, reason: str = "terminated by the user") -> None:
        self.server.sync_time()
        self.server.terminate(workflow_id, reason)

    def describe(self, workflow_id: str, run_id: str | None = None) -> WorkflowExecution:
        return self.server.describe(workflow_id, run_id)

    def list(self) -> builtins.list[WorkflowExecution]:
        return self.server.list_executions()

    def runs(self, workflow_id: str) -> builtins.list[WorkflowExecution]:
        """Every run of a workflow id, oldest first (continue-as-new makes several)."""
        return self.server.runs_of(workflow_id)

    def history(self, workflow_id: str, run_id: str | None = None) -> builtins.list[HistoryEvent]:
        row = self.server.run_row(workflow_id, run_id)
        return self.server.history(row["run_id"])

    def history_rows(self, workflow_id: str, run_id: str | None = None) -> builtins.list[dict[str, Any]]:
        """The history as plain rows: id, time, type, attributes (what lessons and the app show), and
        `replayed`: recorded by an earlier worker and only replayed by the one that finished it."""
        events = self.history(workflow_id, run_id)
        takeover = takeover_event_id(events)
        return [{**e.to_dict(), "replayed": takeover is not None and e.event_id < takeover} for e in events]

    def query(self, workflow_id: str, name: str, *args: Any) -> Any:
        """Replay the run with this client's code and ask a query handler. Appends no event."""
        row = self.server.run_row(workflow_id)
        fn = self.workflows.get(row["workflow_type"])
        if fn is None:
            raise NotRegisteredError(f"cannot answer a query on {workflow_id}: no code for workflow type "
                                     f"{row['workflow_type']!r} is registered with this client")
        events = self.server.history(row["run_id"])
        first = events[0].attributes
        info = WorkflowInfo(workflow_id=workflow_id, run_id=row["run_id"], workflow_type=row["workflow_type"],
                            task_queue=row["task_queue"], start_time=events[0].time,
                            continued_from_run_id=first.get("continued_from_run_id"),
                            parent_workflow_id=first.get("parent_workflow_id"))
        return Driver(fn, info, suggest_limit=self.server.limits.suggest_at).query(events, name, list(args))

    def live_workers(self, task_queue: str | None = None) -> int:
        return self.server.live_workers(task_queue)
