"""History limits, as Temporal's defaults: warn at 10,240 events, terminate at 51,200.

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

    def __post_init__(self) -> None:
        if not 0 < self.warn <= self.terminate:
            raise ReplayError(f"history limits need 0 < warn <= terminate, got warn={self.warn} terminate={self.terminate}")
