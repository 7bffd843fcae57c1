"""Airflow's task-instance and DAG-run states (airflow/utils/state.py), as StrEnums.

They are StrEnums, as in Airflow, so a state is its stored string: the metadata database holds
"success", a test compares with "success", and a trace line prints "success". Airflow's "no
status" is Python None; here it is the string "none" so it prints and stores alike.
"""

from __future__ import annotations

from enum import StrEnum


class TaskInstanceState(StrEnum):
    """Where one task instance (one task in one DAG run) stands."""

    NONE = "none"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    REMOVED = "removed"
    DEFERRED = "deferred"  # waiting on a trigger in the triggerer; holds no worker slot


class DagRunState(StrEnum):
    """Where a DAG run stands; success and failed are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


TI = TaskInstanceState
#: States a task instance never leaves on its own (Airflow's State.finished).
FINISHED: frozenset[TaskInstanceState] = frozenset({TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UPSTREAM_FAILED, TI.REMOVED})
#: States that hold (or wait for) a worker slot.
ACTIVE: frozenset[TaskInstanceState] = frozenset({TI.QUEUED, TI.RUNNING})
ALL_TI_STATES: tuple[TaskInstanceState, ...] = tuple(TaskInstanceState)
