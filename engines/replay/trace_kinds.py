"""The trace events the engine emits that are not history events.

Every history event is traced under its `EventType`; these are the rest: worker lifecycle, time
skips, attempts that leave no event (a retried activity, a local activity while it runs), and
warnings. Lessons and the app filter a trace by these names, so the values never change.
"""

from __future__ import annotations

from enum import StrEnum


class TraceKind(StrEnum):
    WORKER_STARTED = "WorkerStarted"
    WORKER_STOPPED = "WorkerStopped"
    WORKER_CRASHED = "WorkerCrashed"
    TIME_SKIPPED = "TimeSkipped"
    LEASE_LOST = "LeaseLost"
    HISTORY_SIZE_WARNING = "HistorySizeWarning"
    LOCAL_ACTIVITY_STARTED = "LocalActivityStarted"
    LOCAL_ACTIVITY_FAILED = "LocalActivityFailed"
    NONDETERMINISM_ERROR = "NondeterminismError"
