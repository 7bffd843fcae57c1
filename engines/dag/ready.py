"""The executor's ready queue: scheduled task instances waiting for a worker slot, kept as one
queue per DAG run and pool, so a full run or pool costs the critical section one look, not one
look per waiting task.

The order is Airflow's: higher `priority_weight` first, then first come. A task instance is
pushed once, when it becomes scheduled (its upstream finished, or a retry or reschedule came
due), and popped once, when it is queued. Within one queue every task instance waits for the same
thing (its run's `max_active_tasks` and the same number of slots of the same pool), so when the
head of a queue does not fit, nothing behind it fits either, for the rest of that critical
section: the whole queue is set aside at once. An index (a heap of queue heads) finds the queue
whose head comes first overall, so the order of starts is exactly that of one global queue
scanned from the front, skipping what does not fit.

Entries go stale without being touched (a run marked failed, a task instance skipped by a
dagrun_timeout): they are dropped when they reach the head of their queue, the whole queue at
once when its run is no longer running.
"""

from __future__ import annotations

import heapq
import itertools

from engines.dag.models import DagRun, TaskInstance
from engines.dag.states import TI, DagRunState

#: (-priority_weight, arrival): the smaller, the sooner.
Key = tuple[int, int]
#: What a queue's task instances wait for: their run, their pool and how many of its slots.
QueueKey = tuple[DagRun, str, int]


class RunPoolQueue:
    """Scheduled task instances of one DAG run that need `pool_slots` slots of one pool."""

    __slots__ = ("run", "pool", "pool_slots", "entries", "indexed")

    def __init__(self, run: DagRun, pool: str, pool_slots: int) -> None:
        self.run = run
        self.pool = pool
        self.pool_slots = pool_slots
        self.entries: list[tuple[int, int, TaskInstance]] = []  # a heap by Key
        self.indexed: int | None = None  # the sequence number of this queue's live index entry

    @property
    def key(self) -> QueueKey:
        return (self.run, self.pool, self.pool_slots)

    def head(self) -> TaskInstance:
        """The task instance that comes first in this queue (the queue is not empty)."""
        return self.entries[0][2]

    def head_key(self) -> Key:
        neg_weight, arrival, _ti = self.entries[0]
        return (neg_weight, arrival)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"<RunPoolQueue {self.run.run_id} pool={self.pool}×{self.pool_slots}: {len(self.entries)} waiting>"


class ReadyQueues:
    """All ready queues of one scheduler, and the index that orders their heads."""

    def __init__(self) -> None:
        self.queues: dict[QueueKey, RunPoolQueue] = {}
        self._index: list[tuple[int, int, int, RunPoolQueue]] = []  # (-priority_weight, arrival, seq, queue)
        self._arrival = itertools.count()
        self._seq = itertools.count()
        #: How many times a queue was taken from the index (what a critical section costs; for tests).
        self.looks = 0

    def push(self, ti: TaskInstance, priority_weight: int) -> None:
        """A scheduled task instance waits for a slot; higher priority_weight first, then first come."""
        self._push((-priority_weight, next(self._arrival), ti))

    def _push(self, entry: tuple[int, int, TaskInstance]) -> None:
        ti = entry[2]
        task = ti.operator
        key = (ti.run, task.pool, task.pool_slots)
        queue = self.queues.get(key)
        if queue is None:
            queue = self.queues[key] = RunPoolQueue(*key)
        heapq.heappush(queue.entries, entry)
        if queue.indexed is None or queue.head() is ti:
            self.put_back(queue)  # not indexed yet, or its head is new: index it under the new head

    def put_back(self, queue: RunPoolQueue) -> None:
        """Index `queue` under its current head (an empty queue is forgotten)."""
        if not queue.entries:
            queue.indexed = None
            if self.queues.get(queue.key) is queue:
                del self.queues[queue.key]
            return
        seq = next(self._seq)
        queue.indexed = seq
        neg_weight, arrival = queue.head_key()
        heapq.heappush(self._index, (neg_weight, arrival, seq, queue))

    def first(self) -> RunPoolQueue | None:
        """Take out of the index the queue whose (live) head comes first overall; None if nothing waits.

        The caller pops its head (and puts the queue back) or sets the whole queue aside and puts
        it back after the critical section."""
        index = self._index
        while index:
            neg_weight, arrival, seq, queue = heapq.heappop(index)
            if queue.indexed != seq:
                continue  # an older index entry of a queue indexed again since
            self.looks += 1
            queue.indexed = None
            self._drop_stale(queue)
            if not queue.entries:
                self.put_back(queue)
                continue
            if queue.head_key() != (neg_weight, arrival):
                self.put_back(queue)  # its head went stale: index it under the new head and look again
                continue
            return queue
        return None

    def pop(self, queue: RunPoolQueue) -> TaskInstance:
        """Remove and return the head of `queue` (taken from `first`); the caller puts the queue back."""
        return heapq.heappop(queue.entries)[2]

    def _drop_stale(self, queue: RunPoolQueue) -> None:
        """Drop head entries that no longer wait: not scheduled any more, their run ended, or (after a
        new DAG version) their task now asks for another pool, whose queue they move to."""
        entries = queue.entries
        if queue.run.state != DagRunState.RUNNING:
            entries.clear()
            return
        while entries:
            ti = entries[0][2]
            if ti.state != TI.SCHEDULED:
                heapq.heappop(entries)
                continue
            task = ti.operator
            if (task.pool, task.pool_slots) != (queue.pool, queue.pool_slots):
                self._push(heapq.heappop(entries))  # same place in the order, in the right queue
                continue
            return

    def waiting(self) -> int:
        """How many entries the queues hold (stale ones included until they are dropped)."""
        return sum(len(q) for q in self.queues.values())

    def __bool__(self) -> bool:
        return bool(self._index)
