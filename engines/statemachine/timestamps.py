"""AWS's timestamp text (2026-01-01T00:00:00.000Z): how every event, due time and checkpoint stores time.

Due times live in the checkpoint as this text so that a thread is plain JSON; `iso` runs for
every event and checkpoint, and the virtual clock often stands still between them, so its
results are cached. The cache is `functools.lru_cache` (thread-safe) over an immutable datetime
giving an immutable str, so engines in several threads may share it.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from engines.clock import as_utc


@lru_cache(maxsize=1024)
def iso(t: datetime) -> str:
    """`t` as UTC with milliseconds and a `Z`, as Step Functions writes timestamps."""
    u = as_utc(t)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """The aware UTC datetime back from `iso` text (or any ISO 8601 text)."""
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
