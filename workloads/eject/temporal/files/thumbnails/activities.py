"""The thumbnail fan-out's two activities for temporalio, over the same image store every engine writes.

Resize makes one thumbnail; WriteManifest writes the row listing the five. Both are idempotent by
the output's key (`thumbnails/<upload>/w256.jpg`): an activity runs at least once, and a second
write of a key returns the first row and changes nothing. A 503 from the store is an ordinary
ServiceUnavailable (retryable, so the RetryPolicy retries that size alone); an unknown upload or
size (`ThumbnailError`) and a manifest asked for too early (`ManifestIncomplete`) are non-retryable.
The image store lives in the SQLite file named by CANVAS_DB (`canvas_services.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

import canvas_services
from workloads.services.errors import ServiceError
from workloads.thumbnails.images import ImageStore, ThumbnailError


@cache
def tables() -> ImageStore:
    """The image store's tables in the world's store (one per worker process)."""
    return ImageStore(canvas_services.store())


def _now() -> datetime:
    """This attempt's time on the server's clock (virtual under time skipping)."""
    return activity.info().current_attempt_scheduled_time


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except ServiceError as exc:
        raise ApplicationError(str(exc), type=exc.type_name, non_retryable=not exc.retryable) from None
    except ThumbnailError as exc:
        raise ApplicationError(str(exc), type="ThumbnailError", non_retryable=True) from None


@activity.defn(name="Resize")
def resize(upload_id: str, size: int) -> dict:
    with _refusals():
        return tables().resize(upload_id, size, at=_now())


@activity.defn(name="WriteManifest")
def write_manifest(upload_id: str, thumbnails: list[dict]) -> dict:
    with _refusals():
        return tables().write_manifest(upload_id, thumbnails, at=_now())


ACTIVITIES: list[Callable[..., Any]] = [resize, write_manifest]
