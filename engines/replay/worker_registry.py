"""The workers a store knows: who polls which task queue, and whether it is still alive.

Temporal's matching service keeps the pollers of each task queue; here a worker registers a row
(pid, host, queue) when it starts. A worker that vanished without stopping (SIGKILL, or an
in-process "crash") still has its row, so liveness is decided from the row: same host and a dead
pid means gone, and its leases may be taken over once they run out.
"""

from __future__ import annotations

import os
import socket
import threading

from engines.replay.history_store import HistoryStore

HOST = socket.gethostname()


class _ProcessWorkers:
    """Worker ids running in this process. Shared by every server of the process on purpose: a
    worker of one `Server` is alive for another `Server` on the same file. Guarded by a lock,
    since workers start and stop in several threads."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, worker_id: str) -> None:
        with self._lock:
            self._ids.add(worker_id)

    def discard(self, worker_id: str) -> None:
        with self._lock:
            self._ids.discard(worker_id)

    def __contains__(self, worker_id: object) -> bool:
        with self._lock:
            return worker_id in self._ids


#: alive in this process (an in-process crash removes one without cleaning up its row)
_IN_PROCESS = _ProcessWorkers()


class WorkerRegistry:
    """Registered workers of one store, and whether each is alive."""

    def __init__(self, history: HistoryStore) -> None:
        self._history = history
        self._store = history.store

    def register(self, worker_id: str, task_queue: str) -> None:
        _IN_PROCESS.add(worker_id)
        with self._history.transaction() as c:
            c.execute("INSERT OR REPLACE INTO rp_workers (worker_id, pid, host, task_queue, started_at) VALUES (?, ?, ?, ?, ?)",
                      (worker_id, os.getpid(), HOST, task_queue, self._history.timeline.ts()))

    def stop(self, worker_id: str, *, crashed: bool = False) -> None:
        """Graceful stop marks the worker stopped; a crash just vanishes (its leases run out)."""
        _IN_PROCESS.discard(worker_id)
        if not crashed:
            with self._history.transaction() as c:
                c.execute("UPDATE rp_workers SET stopped = 1 WHERE worker_id = ?", (worker_id,))

    def is_alive(self, worker_id: str) -> bool:
        if worker_id in _IN_PROCESS:
            return True
        row = self._store.one("SELECT pid, host, stopped FROM rp_workers WHERE worker_id = ?", (worker_id,))
        if row is None or row[2]:
            return False
        pid, host = row[0], row[1]
        if host != HOST:
            return True  # another machine's process cannot be checked: trust its row
        if pid == os.getpid():
            return False  # registered by this process, but no longer running in it: crashed
        return _pid_alive(pid)

    def live_count(self, task_queue: str | None = None) -> int:
        """How many workers are polling now. 0 means tasks simply wait: nothing is lost."""
        rows = self._store.query("SELECT worker_id, task_queue FROM rp_workers WHERE stopped = 0")
        return sum(1 for wid, q in rows if (task_queue is None or q == task_queue) and self.is_alive(wid))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return True
