"""Lambda handlers behind the thumbnail fan-out's state machine (statemachine.asl.json).

Two functions (`Handler` = `handlers.<name>`, see resources.json) over the same image store the
mini-engines write to (`workloads.thumbnails.images.ImageStore`: thumb_uploads, thumb_outputs,
thumb_calls). `resize` is the Map iteration's one Task: five run at once, one per size. While a
fault is set for its (upload, size) the store answers 503 and the handler raises
ServiceUnavailable, the error name the Resize state's Retry matches, so only that size is tried
again. `write_manifest` writes the sixth output once the Map has joined, and refuses
(ManifestIncomplete, not retried) if any of the five is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import canvas_services

from workloads.thumbnails.images import ImageStore

#: The time the image store stamps its rows with: the Lambda runtime's wall clock. A run on
#: virtual time (`workflow-canvas run --on real` against moto) sets its own clock here.
clock: Callable[[], datetime] = canvas_services.utcnow


def images() -> ImageStore:
    return ImageStore(canvas_services.store())


def resize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return images().resize(event["upload_id"], int(event["size"]), at=clock())


def write_manifest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return images().write_manifest(event["upload_id"], event["thumbnails"], at=clock())
