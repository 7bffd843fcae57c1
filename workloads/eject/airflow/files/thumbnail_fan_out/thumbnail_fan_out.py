"""Thumbnail fan-out as an Airflow 3 DAG: dynamic task mapping, one mapped task instance per size.

    ups = list_uploads()                                   # the run's conf: which uploads
    resize.expand(upload_id=ups, size=SIZES)               # uploads x 5 mapped task instances
    write_manifest.expand(upload_id=ups)                   # one per upload, after every resize

Exported by `workflow-canvas export thumbnail-fan-out --to airflow DIR`. Put this file and
canvas_services.py (with .airflowignore) in your dags folder, set CANVAS_DB to the SQLite file of
the run's world, then `airflow dags test thumbnail_fan_out 2026-01-01 --conf '{"upload_ids": ["upload-0001"]}'`
(README.md says more).

`.expand` with two mapped arguments is a cross product, the last one varying fastest, so upload
i's thumbnails are map indexes 5i…5i+4 and its manifest pulls exactly those XComs. Retries are per
mapped task instance (retries=2: three tries, retry_delay 1 s, exponential backoff x2): a failing
size goes up_for_retry alone, its four siblings stay success and never run again. A 503 from the
image store is raised as it is, so Airflow retries it; anything else fails the try for good.

A batch of 1,000 uploads is one DAG run per chunk of 50 (250 resize instances and 50 manifests a
run): `[core] max_map_length` is 1,024 instances per mapped task, and 1,000 x 5 would not expand.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import canvas_services
from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException

from workloads.services import ServiceError
from workloads.thumbnails import images as im

#: Uploads per DAG run of a batch: CHUNK_SIZE x len(SIZES) must stay within max_map_length (1,024).
CHUNK_SIZE = 50


def _images() -> im.ImageStore:
    return im.ImageStore(canvas_services.store())


@dag(
    dag_id="thumbnail_fan_out",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": im.RESIZE_MAX_ATTEMPTS - 1, "retry_delay": im.RESIZE_FIRST_INTERVAL,
                  "retry_exponential_backoff": im.RESIZE_BACKOFF},
    params={"upload_ids": Param([], type="array", items={"type": "string"}, maxItems=CHUNK_SIZE,
                                description="the uploads of this run (one chunk of a batch)")},
    description="thumbnails on upload: five sizes and a manifest",
    tags=["workflow-canvas"],
)
def thumbnail_fan_out():
    @task
    def list_uploads(params: Any = None) -> list[str]:
        return list(params["upload_ids"])

    @task(multiple_outputs=False)
    def resize(upload_id: str, size: int) -> dict:
        try:
            return _images().resize(upload_id, size, at=canvas_services.utcnow())
        except im.ThumbnailError as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(multiple_outputs=False)
    def write_manifest(upload_id: str, ti: Any = None) -> dict:
        first = ti.map_index * len(im.SIZES)
        thumbs = ti.xcom_pull(task_ids="resize", map_indexes=range(first, first + len(im.SIZES)))
        try:
            return _images().write_manifest(upload_id, list(thumbs), at=canvas_services.utcnow())
        except ServiceError as exc:
            if not exc.retryable:
                raise AirflowFailException(f"{exc.type_name}: {exc}") from exc
            raise

    ups = list_uploads()
    thumbs = resize.expand(upload_id=ups, size=list(im.SIZES))
    thumbs >> write_manifest.expand(upload_id=ups)  # it pulls resize's XComs, so it runs after them all


thumbnail_fan_out()
