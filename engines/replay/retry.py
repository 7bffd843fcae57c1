"""Temporal's RetryPolicy: how an activity is retried, with its defaults.

Backoff gaps are virtual time: `initial_interval * backoff_coefficient ** (attempt - 1)`, capped
at `maximum_interval` (default 100 × initial). `maximum_attempts = 0` means unlimited, as in
Temporal; an error whose type is in `non_retryable_error_types` (or that says it is not
retryable) fails the activity at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from engines.replay.errors import ReplayError


class RetryState(StrEnum):
    """Why an activity stopped being retried (the `retry_state` of its final failure event)."""

    NON_RETRYABLE_FAILURE = "NonRetryableFailure"
    MAXIMUM_ATTEMPTS_REACHED = "MaximumAttemptsReached"
    TIMEOUT = "Timeout"  # the schedule-to-close budget ran out before the next attempt


@dataclass(frozen=True)
class RetryPolicy:
    initial_interval: timedelta = timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: timedelta | None = None
    maximum_attempts: int = 0
    non_retryable_error_types: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.initial_interval <= timedelta(0):
            raise ReplayError(f"RetryPolicy.initial_interval must be positive, got {self.initial_interval}")
        if self.backoff_coefficient < 1:
            raise ReplayError(f"RetryPolicy.backoff_coefficient must be >= 1, got {self.backoff_coefficient}")
        if self.maximum_attempts < 0:
            raise ReplayError(f"RetryPolicy.maximum_attempts must be >= 0 (0 = unlimited), got {self.maximum_attempts}")
        object.__setattr__(self, "non_retryable_error_types", tuple(self.non_retryable_error_types))

    @property
    def max_interval(self) -> timedelta:
        return self.maximum_interval if self.maximum_interval is not None else self.initial_interval * 100

    def backoff(self, attempt: int) -> timedelta:
        """The gap after failed attempt number `attempt` (1-based)."""
        seconds = self.initial_interval.total_seconds() * self.backoff_coefficient ** (attempt - 1)
        return timedelta(seconds=min(seconds, self.max_interval.total_seconds()))

    def should_retry(self, attempt: int, error_type: str, non_retryable: bool) -> bool:
        if non_retryable or error_type in self.non_retryable_error_types:
            return False
        return self.maximum_attempts == 0 or attempt < self.maximum_attempts

    def retry_state(self, failure: dict[str, Any], attempt: int) -> RetryState:
        """Why the failure of `attempt` was the last one."""
        if failure.get("non_retryable") or failure.get("type") in self.non_retryable_error_types:
            return RetryState.NON_RETRYABLE_FAILURE
        if self.maximum_attempts and attempt >= self.maximum_attempts:
            return RetryState.MAXIMUM_ATTEMPTS_REACHED
        return RetryState.TIMEOUT

    def to_json(self) -> dict[str, Any]:
        return {
            "initial_interval": self.initial_interval.total_seconds(),
            "backoff_coefficient": self.backoff_coefficient,
            "maximum_interval": self.max_interval.total_seconds(),
            "maximum_attempts": self.maximum_attempts,
            "non_retryable_error_types": list(self.non_retryable_error_types),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "RetryPolicy":
        if not data:
            return cls()
        return cls(
            initial_interval=timedelta(seconds=data["initial_interval"]),
            backoff_coefficient=data["backoff_coefficient"],
            maximum_interval=timedelta(seconds=data["maximum_interval"]),
            maximum_attempts=data["maximum_attempts"],
            non_retryable_error_types=tuple(data.get("non_retryable_error_types", ())),
        )
