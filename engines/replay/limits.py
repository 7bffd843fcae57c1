"""History limits, as Temporal's defaults: suggest continue-as-new at 4,096 events, warn at 10,240,
terminate at 51,200.

A history is replayed in full on every workflow task, so an endless loop must restart itself
with continue-as-new before it reaches the limit. Both numbers are configurable (the lessons use
small ones so the limit shows in a second).
"""

from __future__ import annotations

from dataclasses import dataclass

from engines.replay.errors import ReplayError


@dataclass(frozen=True)
class HistoryLimits:
    warn: int = 10_240
    terminate: int = 51_200
    #: Temporal's limit.historyCount.suggestContinueAsNew: from here the server tells the workflow
    #: continue-as-new is suggested, well before the warning.
    suggest: int = 4_096

    @property
    def suggest_at(self) -> int:
        """Where `is_continue_as_new_suggested()` turns true: the suggestion, or the warning if that comes first
        (the lessons' small limits)."""
        return min(self.suggest, self.warn)

    def __post_init__(self) -> None:
        if not 0 < self.warn <= self.terminate:
            raise ReplayError(f"history limits need 0 < warn <= terminate, got warn={self.warn} terminate={self.terminate}")
