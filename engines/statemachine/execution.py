"""An execution: its ARN, status, threads and the snapshot the store keeps of it.

`Execution` is the in-process form of one row of `sfn_executions`; `snapshot()` is the
`runtime` column, rewritten at every transition ({"threads", "seq", "deadline"}, the keys the
first interpreter wrote, so its checkpoints still resume).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engines import jsonio
from engines.statemachine.scopes import Scopes
from engines.statemachine.threads import Thread
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
class Execution:
    """An execution loaded in this process (its snapshot is in the store)."""

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

    @property
    def running(self) -> bool:
        return self.status == _RUNNING

    def snapshot(self) -> str:
        """The `runtime` column: {"threads": {id: thread}, "seq", "deadline"} (assembled from each thread's text)."""
        threads = ",".join([th.snapshot_entry() for th in self.threads.values()])
        deadline = "null" if self.deadline is None else jsonio.dumps(self.deadline)
        return f'{{"threads":{{{threads}}},"seq":{self.seq},"deadline":{deadline}}}'

    @classmethod
    def from_row(cls, row: dict[str, Any], definition: dict, scopes: Scopes) -> Execution:
        """An execution back from its `sfn_executions` row (the snapshot in `runtime`)."""
        rt = jsonio.loads(row["runtime"])
        threads = {tid: Thread.from_json(th) for tid, th in rt["threads"].items()}
        return cls(row["arn"], row["name"], row["state_machine"], row["version"], definition,
                   ExecutionStatus(row["status"]), jsonio.loads(row["input"]), parse_iso(row["start"]), threads,
                   row["next_event"], seq=rt["seq"], deadline=rt.get("deadline"), scopes=scopes)
