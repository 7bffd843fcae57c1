"""Airflow's task-instance and DAG-run states (airflow/utils/state.py), as plain strings.

Airflow's "no status" is Python None; here it is the string "none" so it prints and stores alike.
"""

from __future__ import annotations

from typing import Final


class TaskInstanceState:
    NONE: Final = "none"
    SCHEDULED: Final = "scheduled"
    QUEUED: Final = "queued"
    RUNNING: Final = "running"
    SUCCESS: Final = "success"
    FAILED: Final = "failed"
    UP_FOR_RETRY: Final = "up_for_retry"
    UP_FOR_RESCHEDULE: Final = "up_for_reschedule"
    UPSTREAM_FAILED: Final = "upstream_failed"
    SKIPPED: Final = "skipped"
    REMOVED: Final = "removed"


class DagRunState:
    QUEUED: Final = "queued"
    RUNNING: Final = "running"
    SUCCESS: Final = "success"
    FAILED: Final = "failed"


TI = TaskInstanceState
#: States a task instance never leaves on its own (Airflow's State.finished).
FINISHED: frozenset[str] = frozenset({TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UPSTREAM_FAILED, TI.REMOVED})
#: States that hold (or wait for) a worker slot.
ACTIVE: frozenset[str] = frozenset({TI.QUEUED, TI.RUNNING})
ALL_TI_STATES: tuple[str, ...] = (
    TI.NONE, TI.SCHEDULED, TI.QUEUED, TI.RUNNING, TI.SUCCESS, TI.FAILED, TI.UP_FOR_RETRY,
    TI.UP_FOR_RESCHEDULE, TI.UPSTREAM_FAILED, TI.SKIPPED, TI.REMOVED,
)
