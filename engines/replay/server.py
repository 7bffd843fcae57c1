"""The service side of the engine (Temporal's "server"): histories, task queues, timers, time.

Clients and workers both talk to a `Server` over one SQLite file. Everything a workflow task
decides is committed in one BEGIN IMMEDIATE transaction together with its history events, so a
crash leaves either all of it or none of it. Tasks are claimed with leases in virtual time; an
expired lease makes a task claimable again. The virtual time itself is kept in the database, so
a restarted worker continues the same timeline.
"""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from engines import jsonio
from engines.clock import Clock, VirtualClock
from engines.replay import commands as cmd
from engines.replay.errors import (
    PayloadError,
    ReplayError,
    WorkflowAlreadyStartedError,
    WorkflowNotFoundError,
)
from engines.replay.history import HistoryEvent, describe
from engines.replay.limits import HistoryLimits
from engines.replay.retry import RetryPolicy
from engines.replay.tables import CLOCK_META, DDL, ENGINE, MIGRATIONS, SCHEMA_VERSION
from engines.store import Store, open_store
from engines.trace import Severity, TraceRecorder

UTC = timezone.utc
WORKFLOW_TASK_TIMEOUT = 10.0  # seconds of virtual time, Temporal's default
HOST = socket.gethostname()
RUNNING = "Running"
#: worker ids alive in this process (an in-process "crash" removes one without cleaning up)
_LIVE: set[str] = set()

_SEVERITY = {"ActivityTaskFailed": Severity.WARNING, "ActivityTaskTimedOut": Severity.WARNING,
             "WorkflowTaskFailed": Severity.ERROR, "WorkflowTaskTimedOut": Severity.WARNING,
             "WorkflowExecutionFailed": Severity.ERROR, "WorkflowExecutionTerminated": Severity.ERROR,
             "ChildWorkflowExecutionFailed": Severity.WARNING}


class LeaseLost(Exception):
    """This worker no longer holds the task (its lease expired and another worker took it)."""


def _dumps(value: Any, what: str, of: str = "") -> str:
    try:
        return jsonio.dumps_strict(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{what}{' ' + of if of else ''} cannot be stored as JSON: {exc}") from None


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


@dataclass(frozen=True)
class WorkflowExecution:
    """One run as `describe` / `list` show it."""

    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: str
    input: list
    result: Any
    failure: dict | None
    stuck: str | None
    started_at: datetime
    closed_at: datetime | None
    history_length: int
    parent_run_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {"workflow_id": self.workflow_id, "run_id": self.run_id, "workflow_type": self.workflow_type,
                "task_queue": self.task_queue, "status": self.status, "input": self.input, "result": self.result,
                "failure": self.failure, "stuck": self.stuck, "started_at": self.started_at.isoformat(),
                "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "history_length": self.history_length}


@dataclass(frozen=True)
class WorkflowTaskClaim:
    task_id: int
    run_id: str
    workflow_id: str
    workflow_type: str
    started_event_id: int
    worker_id: str


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


def _row_to_execution(row) -> WorkflowExecution:
    return WorkflowExecution(
        workflow_id=row["workflow_id"], run_id=row["run_id"], workflow_type=row["workflow_type"],
        task_queue=row["task_queue"], status=row["status"], input=jsonio.loads(row["input"]),
        result=jsonio.loads(row["result"]) if row["result"] is not None else None,
        failure=jsonio.loads(row["failure"]) if row["failure"] else None, stuck=row["stuck"],
        started_at=_dt(row["started_at"]), closed_at=_dt(row["closed_at"]),
        history_length=row["history_length"], parent_run_id=row["parent_run_id"])


#: a run's columns plus its history length (the highest event id: the history is the counter)
_RUN_SELECT = ("SELECT *, (SELECT COALESCE(MAX(h.event_id), 0) FROM rp_history h WHERE h.run_id = rp_runs.run_id) "
               "AS history_length FROM rp_runs")


class _OpenRun:
    """A run's next event id while a transaction appends to it: read once from the history's
    primary key, then counted here, so appending writes only the history rows."""

    __slots__ = ("next_event_id", "warned", "workflow_id")

    def __init__(self, next_event_id: int, warned: int, workflow_id: str) -> None:
        self.next_event_id = next_event_id
        self.warned = warned
        self.workflow_id = workflow_id


class Server:
    """Histories, queues and time over one store. Share one between a client and its workers."""

    def __init__(self, store: Store | str | Path = ":memory:", clock: Clock | None = None, *,
                 trace: TraceRecorder | None = None, limits: HistoryLimits | None = None) -> None:
        self.store = store if isinstance(store, Store) else open_store(store)
        self.store.ensure_schema(ENGINE, SCHEMA_VERSION, DDL, MIGRATIONS)
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.trace = trace
        self.limits = limits or HistoryLimits()
        self._pending_trace: list[tuple] = []
        self._open_runs: dict[str, _OpenRun] = {}  # runs appended to in the open transaction
        self._new_events: list[tuple] = []         # their rows, inserted in one batch before COMMIT
        self._depth = 0
        self._persisted = 0.0
        self.sync_time()

    # --- time ------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def _ts(self) -> float:
        return self.clock.now().timestamp()

    def sync_time(self) -> None:
        """Catch up with the timeline other processes may have moved forward (virtual clocks only)."""
        saved = self.store.get_meta(CLOCK_META)
        if saved is not None:
            self._persisted = max(self._persisted, float(saved))
            if isinstance(self.clock, VirtualClock) and float(saved) > self._ts():
                self.clock.set(datetime.fromtimestamp(float(saved), UTC))

    def advance_to(self, t: datetime) -> None:
        """Move the virtual clock forward (skip-time) and persist the new time."""
        if t > self.clock.now():
            self.clock.advance_to(t)
        with self._txn():
            pass

    @contextmanager
    def _txn(self) -> Iterator[Any]:
        """A store transaction that also persists virtual time and emits trace events on commit."""
        outer = self._depth == 0
        self._depth += 1
        try:
            with self.store.transaction() as c:
                yield c
                if outer:
                    self._write_events(c)
                    if isinstance(self.clock, VirtualClock) and self._ts() > self._persisted:
                        self._persisted = self._ts()
                        self.store.set_meta(CLOCK_META, repr(self._persisted))
        except BaseException:
            if outer:
                self._pending_trace.clear()
                self._open_runs.clear()
                self._new_events.clear()
            raise
        finally:
            self._depth -= 1
        if outer:
            self._flush_trace()

    def _flush_trace(self) -> None:
        pending, self._pending_trace = self._pending_trace, []
        if self.trace is not None:
            for args, kw in pending:
                self.trace.emit(*args, **kw)

    def emit(self, kind: str, subject: str, detail: str, severity: Severity = Severity.INFO, **data: Any) -> None:
        """A trace event that is not a history event (attempts, skips, workers); after commit if in one."""
        item = ((self.now(), kind, subject, detail, severity), data)
        if self._depth:
            self._pending_trace.append(item)
        elif self.trace is not None:
            self.trace.emit(*item[0], **item[1])

    # --- history -----------------------------------------------------------------------------
    def _append(self, c, run_id: str, event_type: str, attrs: dict[str, Any], *, traced: bool = True) -> int:
        """Give the event the run's next id; its row is written with the others at the end of the
        transaction (`_write_events`), one batch instead of two statements per event."""
        run = self._open_run(c, run_id)
        event_id = run.next_event_id
        run.next_event_id += 1
        self._new_events.append((run_id, event_id, self._ts(), event_type, _dumps(attrs, "attributes of", event_type)))
        if traced and self.trace is not None:
            self._pending_trace.append(((self.now(), event_type, run.workflow_id, describe(event_type, attrs),
                                         _SEVERITY.get(event_type, Severity.INFO)),
                                        {"event_id": event_id, "run_id": run_id, "attributes": attrs}))
        return event_id

    def _open_run(self, c, run_id: str) -> _OpenRun:
        run = self._open_runs.get(run_id)
        if run is None:
            row = c.execute("SELECT (SELECT COALESCE(MAX(event_id), 0) + 1 FROM rp_history WHERE run_id = ?), warned, workflow_id "
                            "FROM rp_runs WHERE run_id = ?", (run_id, run_id)).fetchone()
            run = self._open_runs[run_id] = _OpenRun(row[0], row[1], row[2])
        return run

    def _write_events(self, c) -> None:
        """The events this transaction appended, in one batch just before COMMIT."""
        if self._new_events:
            c.executemany("INSERT INTO rp_history (run_id, event_id, time, event_type, attributes) VALUES (?, ?, ?, ?, ?)",
                          self._new_events)
        self._new_events.clear()
        self._open_runs.clear()

    def history(self, run_id: str, upto: int | None = None) -> list[HistoryEvent]:
        return decode_events(self.history_rows(run_id, upto=upto))

    def history_rows(self, run_id: str, *, after: int = 0, upto: int | None = None) -> list[tuple]:
        """Stored events `after` < event_id <= `upto` as (event_id, time, type, attributes JSON) rows.

        A history is append-only, so a worker may keep the rows it read and fetch only newer ones.
        """
        if upto is None:
            return self.store.query("SELECT event_id, time, event_type, attributes FROM rp_history WHERE run_id = ? "
                                    "AND event_id > ? ORDER BY event_id", (run_id, after))
        return self.store.query("SELECT event_id, time, event_type, attributes FROM rp_history WHERE run_id = ? "
                                "AND event_id > ? AND event_id <= ? ORDER BY event_id", (run_id, after, upto))

    # --- runs --------------------------------------------------------------------------------
    def run_row(self, workflow_id: str, run_id: str | None = None):
        if run_id:
            row = self.store.one(f"{_RUN_SELECT} WHERE run_id = ? OR (workflow_id = ? AND run_id LIKE ?)",
                                 (run_id, workflow_id, run_id + "%"))
        else:
            row = self.store.one(f"{_RUN_SELECT} WHERE workflow_id = ? ORDER BY seq DESC LIMIT 1", (workflow_id,))
        if row is None:
            raise WorkflowNotFoundError(f"no workflow execution with id {workflow_id!r}"
                                        + (f" and run id {run_id!r}" if run_id else "") + f" in {self.store.path}")
        return row

    def describe(self, workflow_id: str, run_id: str | None = None) -> WorkflowExecution:
        return _row_to_execution(self.run_row(workflow_id, run_id))

    def list_executions(self) -> list[WorkflowExecution]:
        return [_row_to_execution(r) for r in self.store.query(f"{_RUN_SELECT} ORDER BY seq")]

    def runs_of(self, workflow_id: str) -> list[WorkflowExecution]:
        return [_row_to_execution(r) for r in self.store.query(f"{_RUN_SELECT} WHERE workflow_id = ? ORDER BY seq",
                                                               (workflow_id,))]

    def start_workflow(self, workflow_type: str, args: list, workflow_id: str, task_queue: str = "default", *,
                       parent: tuple[str, int, str] | None = None, continued_from: str | None = None) -> str:
        """Create a run with WorkflowExecutionStarted and its first workflow task. Returns the run id."""
        with self._txn() as c:
            return self._start(c, workflow_type, args, workflow_id, task_queue, parent=parent, continued_from=continued_from)

    def _start(self, c, workflow_type: str, args: list, workflow_id: str, task_queue: str, *,
               parent: tuple[str, int, str] | None = None, continued_from: str | None = None,
               run_id: str | None = None) -> str:
        running = c.execute("SELECT run_id FROM rp_runs WHERE workflow_id = ? AND status = ?", (workflow_id, RUNNING)).fetchone()
        if running is not None:
            raise WorkflowAlreadyStartedError(f"workflow {workflow_id!r} is already running (run {running[0][:8]})")
        run_id = run_id or str(uuid.uuid4())
        seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM rp_runs").fetchone()[0]
        c.execute("INSERT INTO rp_runs (run_id, workflow_id, workflow_type, task_queue, status, input, started_at, "
                  "parent_run_id, parent_initiated_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (run_id, workflow_id, workflow_type, task_queue, RUNNING, _dumps(args, f"input of {workflow_id}"),
                   self._ts(), parent[0] if parent else None, parent[1] if parent else None, seq))
        self._open_runs[run_id] = _OpenRun(1, 0, workflow_id)
        attrs: dict[str, Any] = {"workflow_type": workflow_type, "task_queue": task_queue, "input": args,
                                 "workflow_id": workflow_id}
        if parent:
            attrs["parent_run_id"], attrs["parent_initiated_event_id"], attrs["parent_workflow_id"] = parent
        if continued_from:
            attrs["continued_from_run_id"] = continued_from
        self._append(c, run_id, "WorkflowExecutionStarted", attrs)
        self._schedule_workflow_task(c, run_id)
        return run_id

    def _schedule_workflow_task(self, c, run_id: str) -> None:
        """Wake the run: one workflow task waits in the queue (or the running one will rerun)."""
        queue, workflow_type, task_id, leased = c.execute(
            "SELECT r.task_queue, r.workflow_type, t.task_id, t.lease_owner FROM rp_runs r LEFT JOIN rp_tasks t "
            "ON t.run_id = r.run_id AND t.kind = 'workflow' WHERE r.run_id = ?", (run_id,)).fetchone()
        if task_id is not None:
            if leased is not None:
                c.execute("UPDATE rp_tasks SET rerun = 1 WHERE task_id = ?", (task_id,))
            return
        sched = self._append(c, run_id, "WorkflowTaskScheduled", {"task_queue": queue})
        now = self._ts()
        c.execute("INSERT INTO rp_tasks (kind, task_queue, run_id, type_name, scheduled_event_id, visible_at, "
                  "first_scheduled_at) VALUES ('workflow', ?, ?, ?, ?, ?, ?)", (queue, run_id, workflow_type, sched, now, now))

    def _running(self, c, workflow_id: str) -> str:
        row = c.execute("SELECT run_id FROM rp_runs WHERE workflow_id = ? AND status = ? ORDER BY seq DESC LIMIT 1",
                        (workflow_id, RUNNING)).fetchone()
        if row is None:
            exists = c.execute("SELECT status FROM rp_runs WHERE workflow_id = ? ORDER BY seq DESC LIMIT 1", (workflow_id,)).fetchone()
            if exists is None:
                raise WorkflowNotFoundError(f"no workflow execution with id {workflow_id!r} in {self.store.path}")
            raise ReplayError(f"workflow {workflow_id!r} is not running (status {exists[0]})")
        return row[0]

    def signal(self, workflow_id: str, name: str, payload: Any = None) -> int:
        """Record WorkflowExecutionSignaled in the running run and wake it. Returns the event id."""
        with self._txn() as c:
            run_id = self._running(c, workflow_id)
            event_id = self._append(c, run_id, "WorkflowExecutionSignaled", {"signal_name": name, "input": payload})
            self._schedule_workflow_task(c, run_id)
            return event_id

    def request_cancel(self, workflow_id: str, reason: str = "") -> None:
        with self._txn() as c:
            run_id = self._running(c, workflow_id)
            self._append(c, run_id, "WorkflowExecutionCancelRequested", {"reason": reason})
            self._schedule_workflow_task(c, run_id)

    def terminate(self, workflow_id: str, reason: str) -> None:
        with self._txn() as c:
            run_id = self._running(c, workflow_id)
            self._close(c, run_id, "Terminated", "WorkflowExecutionTerminated", {"reason": reason},
                        failure={"type": "Terminated", "message": reason})

    def _close(self, c, run_id: str, status: str, event_type: str, attrs: dict, *, result: Any = None,
               failure: dict | None = None) -> None:
        self._append(c, run_id, event_type, attrs)
        c.execute("UPDATE rp_runs SET status = ?, result = ?, failure = ?, closed_at = ?, stuck = NULL WHERE run_id = ?",
                  (status, _dumps(result, "workflow result") if result is not None else None,
                   jsonio.dumps_strict(failure) if failure else None, self._ts(), run_id))
        c.execute("DELETE FROM rp_tasks WHERE run_id = ?", (run_id,))
        c.execute("DELETE FROM rp_timers WHERE run_id = ?", (run_id,))
        run = c.execute("SELECT parent_run_id, parent_initiated_id, workflow_id, workflow_type FROM rp_runs WHERE run_id = ?",
                        (run_id,)).fetchone()
        if run[0] and status != "ContinuedAsNew":
            parent_status = c.execute("SELECT status FROM rp_runs WHERE run_id = ?", (run[0],)).fetchone()
            if parent_status is not None and parent_status[0] == RUNNING:
                kind = {"Completed": "Completed", "Failed": "Failed", "Canceled": "Canceled"}.get(status, "Terminated")
                pattrs = {"initiated_event_id": run[1], "workflow_id": run[2], "workflow_type": run[3], "run_id": run_id}
                if kind == "Completed":
                    pattrs["result"] = result
                else:
                    pattrs["failure"] = failure or {"type": kind, "message": f"child {kind.lower()}"}
                self._append(c, run[0], f"ChildWorkflowExecution{kind}", pattrs)
                self._schedule_workflow_task(c, run[0])

    # --- workflow tasks ----------------------------------------------------------------------
    def claim_workflow_task(self, task_queue: str, worker_id: str, types: list[str], *,
                            run_id: str | None = None) -> WorkflowTaskClaim | None:
        """Atomically take the oldest runnable workflow task of a registered type (or None).

        With `run_id`, only that run's task: a worker that just recorded an activity of the run
        asks for its next workflow task at once (sticky), skipping the poll.
        """
        if not types:
            return None
        now = self._ts()
        if run_id is None and not self._maybe_runnable("workflow", task_queue, now):
            return None
        marks = ",".join("?" * len(types))
        only_run = "" if run_id is None else "AND t.run_id = ? "
        with self._txn() as c:
            row = c.execute(
                "SELECT t.task_id, t.run_id, t.scheduled_event_id, t.lease_owner, t.started_event_id, r.workflow_id, "
                "r.workflow_type FROM rp_tasks t JOIN rp_runs r ON r.run_id = t.run_id "
                "WHERE t.kind = 'workflow' AND t.task_queue = ? AND t.blocked IS NULL AND t.visible_at <= ? "
                f"AND (t.lease_owner IS NULL OR t.lease_expires <= ?) AND r.workflow_type IN ({marks}) {only_run}"
                "ORDER BY t.visible_at, t.task_id LIMIT 1", (task_queue, now, now, *types, *((run_id,) if run_id else ()))).fetchone()
            if row is None:
                return None
            task_id, run_id, sched = row[0], row[1], row[2]
            if row[3] is not None:  # the previous worker's lease ran out: Temporal's WorkflowTaskTimedOut
                self._append(c, run_id, "WorkflowTaskTimedOut", {"scheduled_event_id": sched, "started_event_id": row[4]})
                sched = self._append(c, run_id, "WorkflowTaskScheduled", {"task_queue": task_queue})
            return self._start_workflow_task(c, task_id, run_id, sched, row[5], row[6], worker_id)

    def _start_workflow_task(self, c, task_id: int, run_id: str, sched: int, workflow_id: str, workflow_type: str,
                             worker_id: str) -> WorkflowTaskClaim:
        """WorkflowTaskStarted and the lease: what every claim of a workflow task writes."""
        started = self._append(c, run_id, "WorkflowTaskStarted", {"scheduled_event_id": sched, "identity": worker_id})
        c.execute("UPDATE rp_tasks SET lease_owner = ?, lease_expires = ?, started_event_id = ?, scheduled_event_id = ?, "
                  "rerun = 0 WHERE task_id = ?", (worker_id, self._ts() + WORKFLOW_TASK_TIMEOUT, started, sched, task_id))
        return WorkflowTaskClaim(task_id, run_id, workflow_id, workflow_type, started, worker_id)

    def _maybe_runnable(self, kind: str, task_queue: str, now: float) -> bool:
        """A read without the write lock: most polls find nothing and need no transaction."""
        return self.store.one("SELECT 1 FROM rp_tasks WHERE kind = ? AND task_queue = ? AND blocked IS NULL AND visible_at <= ? "
                              "AND (lease_owner IS NULL OR lease_expires <= ?) LIMIT 1",
                              (kind, task_queue, now, now)) is not None

    def _check_lease(self, c, task_id: int, worker_id: str, attempt: int | None = None):
        row = c.execute("SELECT * FROM rp_tasks WHERE task_id = ?", (task_id,)).fetchone()
        if row is None or row["lease_owner"] != worker_id or (attempt is not None and row["attempt"] != attempt):
            raise LeaseLost(f"task {task_id} is no longer leased to {worker_id}")
        return row

    def complete_workflow_task(self, claim: WorkflowTaskClaim, commands: list[cmd.Command]) -> str:
        """Record WorkflowTaskCompleted and every command's event in one transaction. Returns the run status."""
        return self.complete_workflow_task_eager(claim, commands, None)[0]

    def complete_workflow_task_eager(self, claim: WorkflowTaskClaim, commands: list[cmd.Command],
                                     eager: EagerRequest | None) -> tuple[str, ActivityClaim | WorkflowTaskClaim | None]:
        """`complete_workflow_task`, and with `eager` the first activity it schedules that the worker
        can run comes back already claimed for it (Temporal's request_eager_execution).

        Local-activity markers among the commands wake the code again: the run gets a new
        workflow task in the same transaction (Temporal forces one after local activity results),
        and with `eager` it comes back already started for this worker (sticky) instead of an activity.
        """
        handed: list[ActivityClaim] = []
        local = any(isinstance(command, cmd.ScheduleLocalActivity) for command in commands)
        if local:
            eager, sticky = None, eager
        else:
            sticky = None
        with self._txn() as c:
            task = self._check_lease(c, claim.task_id, claim.worker_id)
            run_id = claim.run_id
            self._append(c, run_id, "WorkflowTaskCompleted",
                                     {"scheduled_event_id": task["scheduled_event_id"], "started_event_id": claim.started_event_id,
                                      "identity": claim.worker_id})
            status = RUNNING
            after: list[tuple[str, dict]] = []
            for command in commands:
                status = self._apply_command(c, claim, command, after, eager if not handed else None, handed)
                if status != RUNNING:
                    break
            for event_type, attrs in after:
                self._append(c, run_id, event_type, attrs)
            if status == RUNNING:
                status = self._check_limits(c, run_id)
            if status == RUNNING:
                if local and sticky is not None and claim.workflow_type in sticky.workflow_types:
                    sched = self._append(c, run_id, "WorkflowTaskScheduled", {"task_queue": task["task_queue"]})
                    return status, self._start_workflow_task(c, claim.task_id, run_id, sched, claim.workflow_id,
                                                             claim.workflow_type, sticky.worker_id)
                if task["rerun"] or local:
                    sched = self._append(c, run_id, "WorkflowTaskScheduled", {"task_queue": task["task_queue"]})
                    c.execute("UPDATE rp_tasks SET lease_owner = NULL, lease_expires = NULL, rerun = 0, scheduled_event_id = ?, "
                              "visible_at = ? WHERE task_id = ?", (sched, self._ts(), claim.task_id))
                else:
                    c.execute("DELETE FROM rp_tasks WHERE task_id = ?", (claim.task_id,))
            return status, (handed[0] if handed and status == RUNNING else None)

    def _apply_command(self, c, claim: WorkflowTaskClaim, command: cmd.Command, after: list,
                       eager: EagerRequest | None = None, handed: list[ActivityClaim] | None = None) -> str:
        run_id, now = claim.run_id, self._ts()
        attrs = command.attributes()
        if isinstance(command, cmd.ScheduleActivityTask):
            event_id = self._append(c, run_id, command.event_type, attrs)
            payload = {**attrs, "workflow_id": claim.workflow_id}
            owner = expires = None
            if eager is not None and command.task_queue == eager.task_queue and command.activity_type in eager.activity_types:
                owner, expires = eager.worker_id, now + payload["start_to_close_timeout"]  # the lease a poll would set
            task_id = c.execute("INSERT INTO rp_tasks (kind, task_queue, run_id, type_name, scheduled_event_id, visible_at, "
                                "first_scheduled_at, payload, lease_owner, lease_expires) VALUES ('activity', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (command.task_queue, run_id, command.activity_type, event_id, now, now,
                                 jsonio.dumps_strict(payload), owner, expires)).lastrowid
            if owner is not None and handed is not None:
                handed.append(_activity_claim(task_id, run_id, event_id, 1, now, payload, None, owner))
                eager = None
        elif isinstance(command, cmd.StartTimer):
            fire_at = now + command.seconds
            event_id = self._append(c, run_id, command.event_type, {**attrs, "fire_at": _dt(fire_at).isoformat()})
            c.execute("INSERT OR REPLACE INTO rp_timers (run_id, timer_id, started_event_id, fire_at) VALUES (?, ?, ?, ?)",
                      (run_id, command.timer_id, event_id, fire_at))
        elif isinstance(command, cmd.CancelTimer):
            self._append(c, run_id, command.event_type, attrs)
            c.execute("DELETE FROM rp_timers WHERE run_id = ? AND timer_id = ?", (run_id, command.timer_id))
        elif isinstance(command, (cmd.RecordMarker, cmd.ScheduleLocalActivity)):
            self._append(c, run_id, command.event_type, attrs)
        elif isinstance(command, cmd.StartChildWorkflowExecution):
            initiated = self._append(c, run_id, command.event_type, attrs)
            try:
                child_run = self._start(c, command.workflow_type, command.args, command.workflow_id, command.task_queue,
                                        parent=(run_id, initiated, claim.workflow_id))
                after.append(("ChildWorkflowExecutionStarted", {"initiated_event_id": initiated, "workflow_id": command.workflow_id,
                                                                "workflow_type": command.workflow_type, "run_id": child_run}))
            except WorkflowAlreadyStartedError as exc:
                after.append(("ChildWorkflowExecutionFailed", {"initiated_event_id": initiated, "workflow_id": command.workflow_id,
                                                               "workflow_type": command.workflow_type,
                                                               "failure": {"type": "WorkflowExecutionAlreadyStarted",
                                                                           "message": str(exc)}}))
                self._schedule_workflow_task(c, run_id)
        elif isinstance(command, cmd.CompleteWorkflowExecution):
            self._close(c, run_id, "Completed", command.event_type, attrs, result=command.result)
            return "Completed"
        elif isinstance(command, cmd.FailWorkflowExecution):
            self._close(c, run_id, "Failed", command.event_type, attrs, failure=command.failure)
            return "Failed"
        elif isinstance(command, cmd.CancelWorkflowExecution):
            self._close(c, run_id, "Canceled", command.event_type, attrs, failure={"type": "Canceled", "message": "canceled"})
            return "Canceled"
        elif isinstance(command, cmd.ContinueAsNewWorkflowExecution):
            run = c.execute("SELECT * FROM rp_runs WHERE run_id = ?", (run_id,)).fetchone()
            new_run = str(uuid.uuid4())
            self._close(c, run_id, "ContinuedAsNew", command.event_type, {**attrs, "new_run_id": new_run})
            parent = (run["parent_run_id"], run["parent_initiated_id"], "") if run["parent_run_id"] else None
            self._start(c, run["workflow_type"], command.args, run["workflow_id"], run["task_queue"],
                        parent=parent, continued_from=run_id, run_id=new_run)
            return "ContinuedAsNew"
        return RUNNING

    def _check_limits(self, c, run_id: str) -> str:
        run = self._open_run(c, run_id)
        length, warned, workflow_id = run.next_event_id - 1, run.warned, run.workflow_id
        if length >= self.limits.terminate:
            reason = f"history size exceeded: {length} events (limit {self.limits.terminate})"
            self._close(c, run_id, "Terminated", "WorkflowExecutionTerminated", {"reason": reason},
                        failure={"type": "HistorySizeExceeded", "message": reason})
            return "Terminated"
        if length >= self.limits.warn and not warned:
            c.execute("UPDATE rp_runs SET warned = 1 WHERE run_id = ?", (run_id,))
            run.warned = 1
            self._pending_trace.append(((self.now(), "HistorySizeWarning", workflow_id,
                                         f"the history has {length} events (warn at {self.limits.warn}, terminate at "
                                         f"{self.limits.terminate}): time to continue as new", Severity.WARNING),
                                        {"history_length": length}))
        return RUNNING

    def fail_workflow_task(self, claim: WorkflowTaskClaim, cause: str, message: str) -> None:
        """Record WorkflowTaskFailed; the task waits (blocked) until a worker with new code starts."""
        with self._txn() as c:
            self._check_lease(c, claim.task_id, claim.worker_id)
            self._append(c, claim.run_id, "WorkflowTaskFailed", {"cause": cause, "message": message,
                                                                 "started_event_id": claim.started_event_id})
            c.execute("UPDATE rp_tasks SET blocked = ?, lease_owner = NULL, lease_expires = NULL WHERE task_id = ?",
                      (message, claim.task_id))
            c.execute("UPDATE rp_runs SET stuck = ? WHERE run_id = ?", (message, claim.run_id))

    def retry_blocked(self, types: list[str]) -> int:
        """A worker with (possibly fixed) code starts: failed workflow tasks of its types are tried again."""
        if not types:
            return 0
        marks = ",".join("?" * len(types))
        with self._txn() as c:
            rows = c.execute(f"SELECT task_id, run_id, task_queue FROM rp_tasks WHERE kind = 'workflow' AND blocked IS NOT NULL "
                             f"AND type_name IN ({marks})", tuple(types)).fetchall()
            for task_id, run_id, queue in rows:
                sched = self._append(c, run_id, "WorkflowTaskScheduled", {"task_queue": queue})
                c.execute("UPDATE rp_tasks SET blocked = NULL, scheduled_event_id = ?, visible_at = ? WHERE task_id = ?",
                          (sched, self._ts(), task_id))
                c.execute("UPDATE rp_runs SET stuck = NULL WHERE run_id = ?", (run_id,))
            return len(rows)

    # --- activity tasks ------------------------------------------------------------------------
    def claim_activity_task(self, task_queue: str, worker_id: str, types: list[str]) -> ActivityClaim | None:
        """Atomically take the oldest runnable activity task of a registered type (or None).

        A task whose lease ran out (its worker died or hung past start-to-close) counts as a
        timed-out attempt: it is retried by its policy (after the backoff) or timed out for good.
        """
        if not types:
            return None
        if not self._maybe_runnable("activity", task_queue, self._ts()):
            return None
        marks = ",".join("?" * len(types))
        with self._txn() as c:
            while True:
                now = self._ts()
                row = c.execute(
                    "SELECT * FROM rp_tasks WHERE kind = 'activity' AND task_queue = ? AND visible_at <= ? "
                    f"AND (lease_owner IS NULL OR lease_expires <= ?) AND type_name IN ({marks}) "
                    "ORDER BY visible_at, task_id LIMIT 1", (task_queue, now, now, *types)).fetchone()
                if row is None:
                    return None
                payload = jsonio.loads(row["payload"])
                if row["lease_owner"] is not None:
                    self._attempt_failed(c, row, payload, {"type": "StartToCloseTimeout", "non_retryable": False,
                                                           "message": f"no result within {payload['start_to_close_timeout']:g} s "
                                                                      f"(worker {row['lease_owner']} is gone)"},
                                         timed_out=True)
                    continue
                c.execute("UPDATE rp_tasks SET lease_owner = ?, lease_expires = ? WHERE task_id = ?",
                          (worker_id, now + payload["start_to_close_timeout"], row["task_id"]))
                return _activity_claim(row["task_id"], row["run_id"], row["scheduled_event_id"], row["attempt"],
                                       row["first_scheduled_at"], payload,
                                       jsonio.loads(row["heartbeat"]) if row["heartbeat"] else None, worker_id)

    def heartbeat(self, claim: ActivityClaim, details: Any) -> None:
        with self._txn() as c:
            self._check_lease(c, claim.task_id, claim.worker_id, claim.attempt)
            c.execute("UPDATE rp_tasks SET heartbeat = ?, lease_expires = ? WHERE task_id = ?",
                      (_dumps(details, "heartbeat details"), self._ts() + claim.start_to_close, claim.task_id))

    def complete_activity(self, claim: ActivityClaim, result: Any) -> None:
        """ActivityTaskStarted + ActivityTaskCompleted in one transaction, and wake the workflow."""
        with self._txn() as c:
            self._check_lease(c, claim.task_id, claim.worker_id, claim.attempt)
            started = self._append(c, claim.run_id, "ActivityTaskStarted",
                                   {"scheduled_event_id": claim.scheduled_event_id, "attempt": claim.attempt,
                                    "identity": claim.worker_id}, traced=False)
            self._append(c, claim.run_id, "ActivityTaskCompleted",
                         {"scheduled_event_id": claim.scheduled_event_id, "started_event_id": started,
                          "activity_type": claim.activity_type, "result": result})
            c.execute("DELETE FROM rp_tasks WHERE task_id = ?", (claim.task_id,))
            self._schedule_workflow_task(c, claim.run_id)

    def fail_activity(self, claim: ActivityClaim, failure: dict[str, Any]) -> bool:
        """One attempt failed. Retries by the policy (True) or records ActivityTaskFailed (False)."""
        with self._txn() as c:
            row = self._check_lease(c, claim.task_id, claim.worker_id, claim.attempt)
            return self._attempt_failed(c, row, jsonio.loads(row["payload"]), failure, timed_out=False)

    def _attempt_failed(self, c, row, payload: dict, failure: dict, *, timed_out: bool) -> bool:
        attempt, now = row["attempt"], self._ts()
        policy = RetryPolicy.from_json(payload["retry_policy"])
        limit = payload.get("schedule_to_close_timeout")
        delay = policy.backoff(attempt).total_seconds()
        retry = policy.should_retry(attempt, failure.get("type", ""), bool(failure.get("non_retryable")))
        if retry and limit is not None and now + delay > row["first_scheduled_at"] + limit:
            retry = False
        subject = payload["workflow_id"]
        what = f"{payload['activity_type']} attempt {attempt} {'timed out' if timed_out else 'failed'}: {failure.get('type')}"
        if retry:
            c.execute("UPDATE rp_tasks SET attempt = attempt + 1, visible_at = ?, lease_owner = NULL, lease_expires = NULL, "
                      "last_failure = ? WHERE task_id = ?", (now + delay, jsonio.dumps_strict(failure), row["task_id"]))
            self._pending_trace.append(((self.now(), "ActivityTaskTimedOut" if timed_out else "ActivityTaskFailed", subject,
                                         f"{what}; retry in {delay:g} s (attempt {attempt + 1})", Severity.WARNING),
                                        {"attempt": attempt, "activity_type": payload["activity_type"], "will_retry": True,
                                         "backoff_seconds": delay, "failure": failure}))
            return True
        started = self._append(c, row["run_id"], "ActivityTaskStarted",
                               {"scheduled_event_id": row["scheduled_event_id"], "attempt": attempt,
                                "identity": row["lease_owner"]}, traced=False)
        event_type = "ActivityTaskTimedOut" if timed_out else "ActivityTaskFailed"
        self._append(c, row["run_id"], event_type,
                     {"scheduled_event_id": row["scheduled_event_id"], "started_event_id": started, "attempt": attempt,
                      "activity_type": payload["activity_type"], "failure": failure,
                      "retry_state": _retry_state(policy, failure, attempt)})
        c.execute("DELETE FROM rp_tasks WHERE task_id = ?", (row["task_id"],))
        self._schedule_workflow_task(c, row["run_id"])
        return False

    # --- timers and skipping -----------------------------------------------------------------
    def fire_due_timers(self) -> int:
        """TimerFired for every timer due by now, each waking its workflow."""
        now = self._ts()
        if self.store.one("SELECT 1 FROM rp_timers WHERE fire_at <= ? LIMIT 1", (now,)) is None:
            return 0
        with self._txn() as c:
            rows = c.execute("SELECT run_id, timer_id, started_event_id FROM rp_timers WHERE fire_at <= ? ORDER BY fire_at",
                             (now,)).fetchall()
            for run_id, timer_id, started in rows:
                self._append(c, run_id, "TimerFired", {"timer_id": timer_id, "started_event_id": started})
                c.execute("DELETE FROM rp_timers WHERE run_id = ? AND timer_id = ?", (run_id, timer_id))
                self._schedule_workflow_task(c, run_id)
            return len(rows)

    def next_due(self) -> datetime | None:
        """When something next becomes runnable: a timer, a retry backoff, or a dead worker's lease."""
        now = self._ts()
        found: list[float] = []
        t = self.store.one("SELECT MIN(fire_at) FROM rp_timers")[0]
        if t is not None:
            found.append(t)
        t = self.store.one("SELECT MIN(visible_at) FROM rp_tasks WHERE blocked IS NULL AND lease_owner IS NULL")[0]
        if t is not None:
            found.append(t)
        for owner, expires in self.store.query("SELECT lease_owner, lease_expires FROM rp_tasks WHERE lease_owner IS NOT NULL"):
            if not self.is_alive(owner):
                found.append(expires)
        if not found:
            return None
        return _dt(max(min(found), now))

    def busy_elsewhere(self, worker_id: str) -> bool:
        """Does a live worker other than this one hold a lease? (Then time must not be skipped.)"""
        rows = self.store.query("SELECT DISTINCT lease_owner FROM rp_tasks WHERE lease_owner IS NOT NULL AND lease_owner != ? "
                                "AND lease_expires > ?", (worker_id, self._ts()))
        return any(self.is_alive(r[0]) for r in rows)

    def runnable(self) -> bool:
        now = self._ts()
        return self.store.one("SELECT 1 FROM rp_tasks WHERE blocked IS NULL AND visible_at <= ? AND "
                              "(lease_owner IS NULL OR lease_expires <= ?) LIMIT 1", (now, now)) is not None

    # --- workers -------------------------------------------------------------------------------
    def register_worker(self, worker_id: str, task_queue: str) -> None:
        _LIVE.add(worker_id)
        with self._txn() as c:
            c.execute("INSERT OR REPLACE INTO rp_workers (worker_id, pid, host, task_queue, started_at) VALUES (?, ?, ?, ?, ?)",
                      (worker_id, os.getpid(), HOST, task_queue, self._ts()))

    def stop_worker(self, worker_id: str, *, crashed: bool = False) -> None:
        """Graceful stop marks the worker stopped; a crash just vanishes (its leases run out)."""
        _LIVE.discard(worker_id)
        if not crashed:
            with self._txn() as c:
                c.execute("UPDATE rp_workers SET stopped = 1 WHERE worker_id = ?", (worker_id,))

    def is_alive(self, worker_id: str) -> bool:
        if worker_id in _LIVE:
            return True
        row = self.store.one("SELECT pid, host, stopped FROM rp_workers WHERE worker_id = ?", (worker_id,))
        if row is None or row[2]:
            return False
        pid, host = row[0], row[1]
        if host != HOST:
            return True
        if pid == os.getpid():
            return False
        return _pid_alive(pid)

    def live_workers(self, task_queue: str | None = None) -> int:
        """How many workers are polling now. 0 means tasks simply wait: nothing is lost."""
        rows = self.store.query("SELECT worker_id, task_queue FROM rp_workers WHERE stopped = 0")
        return sum(1 for wid, q in rows if (task_queue is None or q == task_queue) and self.is_alive(wid))

    def queue_depth(self) -> dict[str, int]:
        now = self._ts()
        rows = self.store.query("SELECT kind, COUNT(*) FROM rp_tasks WHERE visible_at <= ? GROUP BY kind", (now,))
        return {r[0]: r[1] for r in rows}

    def close(self) -> None:
        self.store.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _retry_state(policy: RetryPolicy, failure: dict, attempt: int) -> str:
    if failure.get("non_retryable") or failure.get("type") in policy.non_retryable_error_types:
        return "NonRetryableFailure"
    if policy.maximum_attempts and attempt >= policy.maximum_attempts:
        return "MaximumAttemptsReached"
    return "Timeout"


def _activity_claim(task_id: int, run_id: str, scheduled_event_id: int, attempt: int, first_scheduled_at: float,
                    payload: dict, heartbeat_details: Any, worker_id: str) -> ActivityClaim:
    return ActivityClaim(
        task_id=task_id, run_id=run_id, workflow_id=payload["workflow_id"], scheduled_event_id=scheduled_event_id,
        activity_id=payload["activity_id"], activity_type=payload["activity_type"], args=payload["input"], attempt=attempt,
        retry=RetryPolicy.from_json(payload["retry_policy"]), start_to_close=payload["start_to_close_timeout"],
        scheduled_time=_dt(first_scheduled_at), heartbeat_details=heartbeat_details, worker_id=worker_id)


def decode_events(rows: list[tuple]) -> list[HistoryEvent]:
    """History rows as events; every call decodes afresh, so code that alters a result it was
    handed can never change what the next replay sees."""
    loads = jsonio.loads
    return [HistoryEvent(r[0], r[1], r[2], loads(r[3])) for r in rows]
