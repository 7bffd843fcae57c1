"""The unit of work of one scheduling pass: what changed, written to the metadata database at once.

Airflow's scheduler hands every part of a pass the same SQLAlchemy session and commits it once per
loop; this is that session. Parts of the scheduler mark the task instances and DAG runs they
changed and defer any other write (a DAG version, a past try, an XCom, a task_reschedule row);
`commit` writes them all, with the virtual time reached, in one transaction. Nothing is written
between commits, so a crash mid-pass loses the pass, never half of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from engines.dag.metadata import MetadataDB
from engines.dag.models import DagRun, TaskInstance

#: A write that waits for the commit; it is handed the metadata database then.
Write = Callable[[MetadataDB], None]


class Session:
    """Dirty rows and deferred writes of the current pass, over one MetadataDB."""

    def __init__(self, meta: MetadataDB) -> None:
        self.meta = meta
        self._tis: dict[TaskInstance, None] = {}  # dicts as ordered sets: rows are written in change order
        self._runs: dict[DagRun, None] = {}
        self._writes: list[Write] = []
        #: The virtual time the last commit wrote (or the file held when it was opened).
        self.committed_now: datetime | None = None

    def add(self, ti: TaskInstance) -> None:
        """This task instance changed: its row is rewritten at the commit."""
        self._tis[ti] = None

    def add_run(self, run: DagRun) -> None:
        """This DAG run changed: its row is rewritten at the commit."""
        self._runs[run] = None

    def defer(self, write: Write) -> None:
        """Run `write` at the commit, in the order deferred."""
        self._writes.append(write)

    @property
    def dirty_runs(self) -> list[DagRun]:
        """The DAG runs changed in this pass so far (the scheduler settles their state before the commit)."""
        return list(self._runs)

    @property
    def pending(self) -> bool:
        """Whether the pass changed anything that is not on file yet."""
        return bool(self._tis or self._runs or self._writes)

    def behind(self, now: datetime) -> bool:
        """Whether the file lacks something: a change of this pass, or the time reached."""
        return self.pending or now != self.committed_now

    def commit(self, now: datetime) -> None:
        """Deferred writes, then DAG runs, then task instances, then the time reached: one transaction."""
        with self.meta.transaction():
            for write in self._writes:
                write(self.meta)
            for run in self._runs:
                self.meta.save_run(run)
            if self._tis:
                self.meta.save_tis(self._tis)
            self.meta.save_now(now)
        self.committed_now = now
        self._writes.clear()
        self._runs.clear()
        self._tis.clear()
