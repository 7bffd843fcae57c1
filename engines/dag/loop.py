"""What every part of the scheduler shares: the clock, the trace, the executor's slots, the session,
the in-memory DAG runs, and the work queues that one scheduling pass drains.

Airflow's scheduler is one loop over shared state (the metadata database through a session);
here the task-instance lifecycle, the DAG-run lifecycle, sensor poking and the restart each get
this object instead of the Scheduler, so none of them knows the façade and no module imports
another in a circle. When a timer fires, its work is queued here and `wake` (the Scheduler's
scheduling pass) drains it.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any, Callable

from engines.clock import Clock, Timer
from engines.dag.executor import Executor
from engines.dag.models import DagRun, TaskInstance
from engines.dag.ready import ReadyQueues
from engines.dag.session import Session
from engines.trace import Severity, TraceRecorder

#: One past try of a task instance, as the grid shows it.
TryRow = dict[str, Any]


class SchedulerLoop:
    """Shared state and queues of one Scheduler; never shared between two Schedulers."""

    def __init__(self, clock: Clock, trace: TraceRecorder, session: Session, executor: Executor) -> None:
        self.clock = clock
        self.trace = trace
        self.session = session
        self.executor = executor
        self.runs: dict[str, DagRun] = {}
        self.history: dict[str, list[TryRow]] = {}  # run_id -> past tries
        #: Task instances whose upstream changed, first come first: their trigger rule is evaluated
        #: in this pass (a deque and a set: an ordered set whose front is taken in O(1)).
        self.candidates: deque[TaskInstance] = deque()
        self._considered: set[TaskInstance] = set()
        #: Work that came due (a result, a retry, a poke): done first in a pass.
        self.completions: deque[Callable[[], None]] = deque()
        #: What the next scheduling pass learns first: task instances a trigger rule settled in this one.
        self.next_pass: deque[Callable[[], None]] = deque()
        #: Scheduled task instances waiting for a slot: one queue per DAG run and pool (ready.py).
        self.ready = ReadyQueues()
        #: Slots or the ready queue changed: the critical section must look again.
        self.queue_dirty = False
        self.wake: Callable[[], None] = lambda: None

    def now(self) -> datetime:
        return self.clock.now()

    def emit(self, kind: str, subject: str, detail: str, severity: Severity = Severity.INFO, **data: Any) -> None:
        """One trace event at the current time."""
        self.trace.emit(self.now(), kind, subject, detail, severity, **data)

    def enqueue(self, fn: Callable[[], None]) -> None:
        """Do `fn` in a scheduling pass (now, unless a pass is already running: then in that one)."""
        self.completions.append(fn)
        self.wake()

    def arm(self, due: datetime, fn: Callable[[], None], name: str = "") -> Timer:
        """Do `fn` in a scheduling pass at `due` on the clock."""
        return self.clock.call_at(due, lambda _t: self.enqueue(fn), name)

    def consider(self, ti: TaskInstance) -> None:
        """Evaluate this task instance's trigger rule in the current pass (once, if asked twice
        before it comes up: it keeps its place)."""
        if ti not in self._considered:
            self._considered.add(ti)
            self.candidates.append(ti)

    def next_candidate(self) -> TaskInstance:
        """The task instance considered first among those not evaluated yet (there is one)."""
        ti = self.candidates.popleft()
        self._considered.discard(ti)
        return ti

    def checkpoint(self) -> None:
        """Commit what this pass changed so far, now, in its own transaction (a task-instance state
        change a worker could observe is never left only in memory)."""
        self.session.commit(self.now())

    def push_ready(self, ti: TaskInstance, priority_weight: int) -> None:
        """A scheduled task instance waits for a slot; higher priority_weight first, then first come."""
        self.ready.push(ti, priority_weight)
        self.queue_dirty = True
