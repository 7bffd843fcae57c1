"""An execution: its ARN, status, threads, and what its next checkpoint has to write.

`Execution` is the in-process form of one row of `sfn_executions`, its counters in
`sfn_progress` and its live threads' rows (tables.py). Every change to a thread goes through
`touch(th)`; a checkpoint writes the touched threads only (`changes()`), so its cost follows what
moved, not how many threads the execution has. Threads written by the first interpreter (moved
into rows by migration 2, in their one-document form) still load, and are rewritten in the row
form at the next checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engines import jsonio
from engines.statemachine.scopes import Scopes
from engines.statemachine.threads import Phase, Thread, ThreadStatus
from engines.statemachine.timestamps import parse_iso

REGION, ACCOUNT = "us-east-1", "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/workflow-canvas"


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def execution_arn(state_machine: str, name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{state_machine}:{name}"


class ExecutionStatus(StrEnum):
    """DescribeExecution's status (the strings stored in `sfn_executions.status`)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


_RUNNING = ExecutionStatus.RUNNING  # read on every step; a module global is cheaper than the class attribute

#: A history row waiting to be written at the next checkpoint:
#: (execution, id, previous id, timestamp, type, state, details JSON).
PendingEvent = tuple[str, int, int, str, str, str | None, str]


@dataclass(slots=True)
class ThreadChanges:
    """The rows one checkpoint writes for the threads touched since the last one."""

    rows: list[tuple[str, int, str, str | None]] = field(default_factory=list)  # (execution, n, body, data)
    deletes: list[tuple[str, int]] = field(default_factory=list)                # (execution, n): gone


@dataclass(slots=True)
class Execution:
    """An execution loaded in this process (its rows are in the store)."""

    arn: str
    name: str
    machine: str
    version: int
    definition: dict
    status: ExecutionStatus
    input: Any
    start: datetime
    threads: dict[str, Thread]
    next_event: int = 1
    output: Any = None
    error: str | None = None
    cause: str | None = None
    stop: datetime | None = None
    seq: int = 0                       # the last thread number handed out (threads are t1, t2, …)
    deadline: str | None = None        # the definition's TimeoutSeconds, as a due time
    events: list[PendingEvent] = field(default_factory=list)
    scopes: Scopes = field(default_factory=dict)
    #: threads changed since the last checkpoint, by id (None: gone, its row to be deleted)
    dirty: dict[str, Thread | None] = field(default_factory=dict)
    #: thread ids changed since the timers were last armed
    moved: set[str] = field(default_factory=set)
    #: (seq, deadline) as the store has them (None: not written yet)
    saved_progress: tuple[int, str | None] | None = None

    @property
    def running(self) -> bool:
        return self.status == _RUNNING

    def touch(self, th: Thread) -> None:
        """`th` changed: the next checkpoint writes its row (a finished child's in its final form)."""
        self.dirty[th.id] = th
        self.moved.add(th.id)

    def fold(self, child: Thread) -> None:
        """A branch or iteration came back (its parent holds the result): it leaves the live threads,
        and its row is rewritten in its final form, which keeps that result until the parent joins."""
        self.threads.pop(child.id, None)
        self.dirty[child.id] = child

    def drop(self, tid: str) -> Thread | None:
        """The thread `tid` is gone for good (its parent joined or failed): its row will be deleted."""
        self.dirty[tid] = None
        return self.threads.pop(tid, None)

    def progress(self) -> tuple[int, str | None]:
        """The `sfn_progress` row: the last thread number handed out and the deadline."""
        return self.seq, self.deadline

    def snapshot(self) -> dict[str, Any]:
        """The whole execution in the first interpreter's one-document form, for a person or a test."""
        return {"threads": {tid: th.to_json() for tid, th in self.threads.items()}, "seq": self.seq,
                "deadline": self.deadline}

    def changes(self) -> ThreadChanges:
        """The rows for every touched thread: a live one's body and data, a folded child's final body, or a deletion."""
        arn, live = self.arn, self.threads
        ch = ThreadChanges()
        for tid, th in self.dirty.items():
            if th is None:
                ch.deletes.append((arn, int(tid[1:])))
            elif live.get(tid) is th:
                ch.rows.append((arn, th.number, jsonio.dumps(th.body()), th.data_json()))
            else:  # folded: no data any more, the body says how it ended
                ch.rows.append((arn, th.number, jsonio.dumps(th.body()), None))
        return ch

    @classmethod
    def from_row(cls, row: dict[str, Any], progress: tuple[int, str | None, int],
                 thread_rows: list[tuple[int, str, str | None]], definition: dict, scopes: Scopes) -> Execution:
        """An execution back from its `sfn_executions` row, its counters and its threads' rows."""
        seq, deadline, next_event = progress
        threads: dict[str, Thread] = {}
        old: list[Thread] = []      # in the one-document form (migration 2): to be rewritten as rows
        rows: set[str] = set()      # in the row form: a parent's children come back from their rows
        for _n, body_text, data_text in thread_rows:
            body = jsonio.loads(body_text)
            th = Thread.from_row(body, None if data_text is None else jsonio.loads(data_text))
            threads[th.id] = th
            if "input" in body:
                old.append(th)
            else:
                rows.add(th.id)
        ex = cls(row["arn"], row["name"], row["state_machine"], row["version"], definition,
                 ExecutionStatus(row["status"]), jsonio.loads(row["input"]), parse_iso(row["start"]), threads,
                 next_event, seq=seq, deadline=deadline, scopes=scopes)
        ex.saved_progress = (seq, deadline)
        for th in old:
            ex.touch(th)
        ex._link_children(rows)
        ex.moved.clear()
        return ex

    def _link_children(self, rows: set[str]) -> None:
        """Each joining parent's children, counters and results from their rows; finished children folded."""
        threads = self.threads
        for th in list(threads.values()):
            parent = threads.get(th.parent) if th.parent is not None else None
            if parent is None or parent.fanout is None:
                continue
            if parent.id in rows:
                parent.fanout.adopt(th)
            if th.status != ThreadStatus.ACTIVE and parent.active and parent.phase == Phase.JOIN:
                del threads[th.id]  # folded into the parent's results: not a live thread
                if parent.id not in rows:
                    self.dirty[th.id] = th  # an old document's child: its row is rewritten in the final form
        for tid in rows:
            f = threads[tid].fanout if tid in threads else None
            if f is not None and f.map is not None:
                f.map.pending_items = list(range(len(f.children), f.total))  # items start in order
