"""The unit of work of the scheduler: what changed, written to the metadata database together.

Airflow's scheduler hands every part of a pass the same SQLAlchemy session and commits it once per
loop, while each state a worker reports (running, success, failed…) is committed by the API
server in its own transaction. Here parts of the scheduler mark the task instances and DAG runs
they changed and defer any other write (a DAG version, a past try, an XCom, a task_reschedule
row); `commit` writes them all, with the virtual time reached, in one transaction. It runs at the
end of every pass and at every task-instance state change a worker could observe (see
TaskInstanceLifecycle.set_state), so a try is on file as running before its code runs and as
finished before anything after it starts: a crash loses at most what no worker had seen.
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
        self._to_settle: dict[DagRun, None] = {}  # changed since the pass last settled run states
        self._writes: list[Write] = []
        #: The virtual time the last commit wrote (or the file held when it was opened).
        self.committed_now: datetime | None = None

    def add(self, ti: TaskInstance) -> None:
        """This task instance changed: its row is rewritten at the commit."""
        self._tis[ti] = None

    def forget(self, ti: TaskInstance, *, old_map_index: int) -> None:
        """The task instance's row under an older key goes (an unexpanded one became map index 0)."""
        run_id, task_id = ti.run_id, ti.task_id
        self._writes.append(lambda meta: meta.delete_ti(run_id, task_id, old_map_index))

    def add_run(self, run: DagRun) -> None:
        """This DAG run changed: its row is rewritten at the commit."""
        self._runs[run] = None
        self._to_settle[run] = None

    def defer(self, write: Write) -> None:
        """Run `write` at the commit, in the order deferred."""
        self._writes.append(write)

    @property
    def dirty_runs(self) -> list[DagRun]:
        """The DAG runs changed since their states were last settled (the scheduler settles them
        before the pass's commit; a checkpoint commit in between does not forget them)."""
        runs = list(self._to_settle)
        self._to_settle.clear()
        return runs

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
