"""SDK flags: which replay behaviours a history was recorded with (Temporal's `sdkMetadata.coreUsedFlags`).

Temporal's core SDK writes, on a WorkflowTaskCompleted, every internal flag it used for the first
time in that run. On replay a check guarded by a flag runs only if the history recorded the
flag, so histories written before a check existed still replay, and new histories get the
stricter check. This engine writes the flags whose behaviour it implements, with Temporal's
numbers, so the real SDK replays its histories with the same checks:

- 1 IdAndTypeDeterminismChecks: an activity's (and a child's) id is checked on replay, not only its type;
- 2 UpsertSearchAttributeOnPatch: every patch marker is followed by an UpsertWorkflowSearchAttributes
  of TemporalChangeVersion.

Flags 3 (MoveTerminalCommands) and 4 (ImprovedHeartbeatHeuristic) are behaviours this engine does
not have, so it never claims them; an unknown flag in a history is refused, as Temporal does.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Iterable

from engines.replay.errors import ReplayError
from engines.replay.history import EventType, HistoryEvent


class CoreFlag(IntEnum):
    """Temporal core's internal flags (the numbers are Temporal's)."""

    ID_AND_TYPE_DETERMINISM_CHECKS = 1
    UPSERT_SEARCH_ATTRIBUTE_ON_PATCH = 2
    MOVE_TERMINAL_COMMANDS = 3
    IMPROVED_HEARTBEAT_HEURISTIC = 4


#: the flags whose behaviour this engine implements, written on the first task that uses them
WRITTEN_FLAGS: frozenset[CoreFlag] = frozenset({CoreFlag.ID_AND_TYPE_DETERMINISM_CHECKS,
                                                CoreFlag.UPSERT_SEARCH_ATTRIBUTE_ON_PATCH})
_KNOWN = frozenset(int(f) for f in CoreFlag)


def flags_of(event: HistoryEvent) -> set[CoreFlag]:
    """The flags a WorkflowTaskCompleted recorded (none for any other event)."""
    if event.event_type != EventType.WORKFLOW_TASK_COMPLETED:
        return set()
    raw: Iterable[int] = (event.attributes.get("sdk_metadata") or {}).get("core_used_flags") or ()
    found = set()
    for value in raw:
        if value not in _KNOWN:
            raise ReplayError(f"event {event.event_id} (WorkflowTaskCompleted) records SDK flag {value}, which this "
                              f"engine does not know (known: {', '.join(str(int(f)) for f in CoreFlag)}): the history was "
                              "written by a newer SDK")
        found.add(CoreFlag(value))
    return found


def sdk_metadata(flags: Iterable[CoreFlag]) -> dict[str, list[int]]:
    """The `sdk_metadata` attribute of a WorkflowTaskCompleted that records `flags` (empty: none new)."""
    new = sorted(int(f) for f in flags)
    return {"core_used_flags": new} if new else {}
