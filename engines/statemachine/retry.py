"""Retry back-off, as Step Functions computes it.

Delay before retry n (n = 0 for the first retry) = IntervalSeconds × BackoffRate^n, capped by
MaxDelaySeconds; with JitterStrategy FULL the delay is drawn uniformly from [0, that]. Defaults:
IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0. A delay too long for the calendar is `inf`
here; the error handler turns it into a States.Runtime failure rather than an OverflowError.
"""

from __future__ import annotations

import random


def retry_delay(retrier: dict, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (0-based) under this retrier."""
    try:
        delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** attempt
    except OverflowError:  # BackoffRate^attempt past the largest float: the cap below, or an endless delay
        delay = float("inf")
    cap = retrier.get("MaxDelaySeconds")
    if cap is not None:
        delay = min(delay, cap)
    if retrier.get("JitterStrategy", "NONE") == "FULL":
        delay = (rng or random).uniform(0, delay)
    return float(delay)
