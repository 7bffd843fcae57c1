"""The image store every engine's version writes to: uploads in, thumbnails and manifests out.

One upload makes six outputs: five thumbnails (one per width in `SIZES`, made in parallel) and
one manifest row listing them. Each output has a stable key (`thumbnails/<upload>/w256.jpg`,
`thumbnails/<upload>/manifest.json`) and is written idempotently: a second write of the same
key (an at-least-once retry, a replayed activity) returns the first row and changes nothing, so
the table, not an engine's own account, is what a run's outcome is read from.

Fault injection is per (upload, size): the next `failures` resize calls for it answer
`ServiceUnavailable` (retryable, as a 503 is), then it works. "flaky-size" sets one size of one
upload to fail twice then succeed; every call, failed or not, is logged in `thumb_calls`, so
the store itself shows that only that size was tried more than once.

A resize "takes" `RESIZE_SECONDS` of worker time and a manifest `MANIFEST_SECONDS` (figures an
engine's model holds a worker slot for, the DAG's `duration`, the replay activity's and the
Lambda's run time); the store logs them with each call so worker-slot time can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict, cast

from engines.clock import EPOCH, Clock, VirtualClock, as_utc
from engines.errors import WorkflowCanvasError
from engines.store import Store, open_store
from workloads.services.errors import ServiceError, ServiceUnavailable

SCENARIOS = ("one-upload", "flaky-size", "batch-1000")
#: Thumbnail widths (px of the long edge), made in parallel for every upload.
SIZES: tuple[int, ...] = (64, 128, 256, 512, 1024)
#: The size that fails twice, then succeeds, in "flaky-size".
FLAKY_SIZE = 512
FLAKY_FAILURES = 2
#: Outputs one upload makes: a thumbnail per size, plus the manifest listing them.
OUTPUTS_PER_UPLOAD = len(SIZES) + 1
BATCH_UPLOADS = 1000
#: The worker time one resize / one manifest write takes (what a worker slot is held for).
RESIZE_SECONDS = 2.0
MANIFEST_SECONDS = 0.5
SERVICE = "image-store"
#: Every engine's retry for a resize: three attempts in all, 1 s then 2 s apart.
RESIZE_MAX_ATTEMPTS = 3
RESIZE_FIRST_INTERVAL = timedelta(seconds=1)
RESIZE_BACKOFF = 2.0

SCHEMA_VERSION = 1
DDL = """
CREATE TABLE thumb_uploads (
    upload_id TEXT PRIMARY KEY, name TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL
);
CREATE TABLE thumb_outputs (
    key TEXT PRIMARY KEY, upload_id TEXT NOT NULL REFERENCES thumb_uploads(upload_id), kind TEXT NOT NULL,
    size INTEGER, width INTEGER NOT NULL, height INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '',
    written_at TEXT NOT NULL
);
CREATE INDEX thumb_outputs_upload ON thumb_outputs (upload_id);
CREATE TABLE thumb_faults (upload_id TEXT NOT NULL, size INTEGER NOT NULL, remaining INTEGER NOT NULL,
    PRIMARY KEY (upload_id, size));
CREATE TABLE thumb_calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, upload_id TEXT NOT NULL, operation TEXT NOT NULL, size INTEGER,
    at TEXT NOT NULL, answer TEXT NOT NULL, work_seconds REAL NOT NULL
);
"""


class Upload(TypedDict):
    """One uploaded original (thumb_uploads)."""

    upload_id: str
    name: str
    width: int
    height: int


class OutputRow(TypedDict):
    """One output in thumb_outputs: a thumbnail (kind "thumbnail", its size) or a manifest."""

    key: str
    upload_id: str
    kind: str
    size: int | None
    width: int
    height: int
    detail: str
    written_at: str


class ThumbnailError(WorkflowCanvasError):
    """A scenario, upload or size the image store does not have, named with the choices."""


class ManifestIncomplete(ServiceError):
    """A manifest asked for before every thumbnail of the upload is stored: not retryable, the
    engine's code is wrong (it wrote the manifest before the fan-out joined)."""

    http_status = 409


def upload_of(n: int) -> Upload:
    """The n-th upload (1-based) of a batch: phone photos, landscape and portrait in turn."""
    landscape = n % 3 != 0
    w, h = (4032, 3024) if landscape else (3024, 4032)
    return {"upload_id": f"upload-{n:04d}", "name": f"IMG_{n:04d}.jpg", "width": w, "height": h}


def uploads_for(scenario: str) -> list[Upload]:
    """The uploads a scenario makes: one, or the batch of 1,000."""
    return [upload_of(n) for n in range(1, (BATCH_UPLOADS if scenario == "batch-1000" else 1) + 1)]


def thumbnail_key(upload_id: str, size: int) -> str:
    return f"thumbnails/{upload_id}/w{size}.jpg"


def manifest_key(upload_id: str) -> str:
    return f"thumbnails/{upload_id}/manifest.json"


def fitted(width: int, height: int, size: int) -> tuple[int, int]:
    """The thumbnail's dimensions: the long edge `size` px, the aspect ratio kept."""
    if width >= height:
        return size, max(1, round(height * size / width))
    return max(1, round(width * size / height)), size


class ImageStore:
    """The image store's operations over one SQLite store (an engine's own database may hold it)."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock
        store.ensure_schema("thumbnails", SCHEMA_VERSION, DDL)

    # --- setting up -------------------------------------------------------------------------------
    def add_uploads(self, uploads: list[Upload]) -> None:
        with self.store.transaction() as c:
            c.executemany("INSERT OR IGNORE INTO thumb_uploads (upload_id, name, width, height) VALUES (?, ?, ?, ?)",
                          [(u["upload_id"], u["name"], u["width"], u["height"]) for u in uploads])

    def inject_flaky(self, upload_id: str, size: int, failures: int = FLAKY_FAILURES) -> None:
        """The next `failures` resizes of (upload, size) answer ServiceUnavailable, then it works."""
        if size not in SIZES:
            raise ThumbnailError(f"size {size} is not a thumbnail size; choose one of {', '.join(map(str, SIZES))}")
        if not 0 <= failures <= 100:
            raise ThumbnailError(f"failures must be 0 to 100, got {failures}")
        with self.store.transaction() as c:
            c.execute("INSERT OR REPLACE INTO thumb_faults (upload_id, size, remaining) VALUES (?, ?, ?)",
                      (upload_id, size, failures))

    # --- the two operations -----------------------------------------------------------------------
    def resize(self, upload_id: str, size: int, *, at: datetime | None = None) -> dict[str, Any]:
        """Make one thumbnail of an upload; raises ServiceUnavailable while a fault is set for it.

        Idempotent by key: a thumbnail already stored is returned as it is (`"rewritten": True`)."""
        when = self._now(at)
        key = thumbnail_key(upload_id, size)
        with self.store.transaction() as c:
            up = c.execute("SELECT u.width, u.height, f.remaining FROM thumb_uploads u LEFT JOIN thumb_faults f "
                           "ON f.upload_id = u.upload_id AND f.size = ? WHERE u.upload_id = ?", (size, upload_id)).fetchone()
            if up is None:
                raise ThumbnailError(f"resize {upload_id} w{size}: no such upload in thumb_uploads")
            if size not in SIZES:
                raise ThumbnailError(f"resize {upload_id}: size {size} is not one of {', '.join(map(str, SIZES))}")
            if up[2] is not None and up[2] > 0:  # a fault is set for this (upload, size)
                c.execute("UPDATE thumb_faults SET remaining = remaining - 1 WHERE upload_id = ? AND size = ?",
                          (upload_id, size))
                c.execute("INSERT INTO thumb_calls (upload_id, operation, size, at, answer, work_seconds) "
                          "VALUES (?, 'resize', ?, ?, 'ServiceUnavailable', ?)", (upload_id, size, when, RESIZE_SECONDS))
                failure = ServiceUnavailable(SERVICE, f"503 Service Unavailable resizing {upload_id} to w{size}")
            else:
                w, h = fitted(up[0], up[1], size)
                cur = c.execute("INSERT OR IGNORE INTO thumb_outputs (key, upload_id, kind, size, width, height, detail, "
                                "written_at) VALUES (?, ?, 'thumbnail', ?, ?, ?, ?, ?)",
                                (key, upload_id, size, w, h, f"{w}x{h} jpeg", when))
                rewritten = cur.rowcount == 0
                c.execute("INSERT INTO thumb_calls (upload_id, operation, size, at, answer, work_seconds) "
                          "VALUES (?, 'resize', ?, ?, ?, ?)",
                          (upload_id, size, when, "rewritten" if rewritten else "ok", RESIZE_SECONDS))
                return {"key": key, "size": size, "width": w, "height": h, "rewritten": rewritten}
        raise failure

    def write_manifest(self, upload_id: str, thumbnails: list[dict[str, Any]], *,
                       at: datetime | None = None) -> dict[str, Any]:
        """The manifest row listing the upload's five thumbnails; refuses (ManifestIncomplete) if
        the thumbnails it is given are not all stored. Idempotent by key."""
        when = self._now(at)
        given = sorted(int(t["size"]) for t in thumbnails)
        with self.store.transaction() as c:
            stored = sorted(r[0] for r in c.execute(
                "SELECT size FROM thumb_outputs WHERE upload_id = ? AND kind = 'thumbnail'", (upload_id,)))
            if given != list(SIZES) or stored != list(SIZES):
                c.execute("INSERT INTO thumb_calls (upload_id, operation, size, at, answer, work_seconds) "
                          "VALUES (?, 'manifest', NULL, ?, 'ManifestIncomplete', ?)", (upload_id, when, MANIFEST_SECONDS))
                raise ManifestIncomplete(SERVICE, f"manifest of {upload_id}: given sizes {given}, stored {stored}; "
                                         f"all of {list(SIZES)} are needed")
            listing = ",".join(thumbnail_key(upload_id, s) for s in SIZES)
            cur = c.execute("INSERT OR IGNORE INTO thumb_outputs (key, upload_id, kind, size, width, height, detail, "
                            "written_at) VALUES (?, ?, 'manifest', NULL, 0, 0, ?, ?)",
                            (manifest_key(upload_id), upload_id, listing, when))
            rewritten = cur.rowcount == 0
            c.execute("INSERT INTO thumb_calls (upload_id, operation, size, at, answer, work_seconds) "
                      "VALUES (?, 'manifest', NULL, ?, ?, ?)",
                      (upload_id, when, "rewritten" if rewritten else "ok", MANIFEST_SECONDS))
        return {"key": manifest_key(upload_id), "thumbnails": len(SIZES), "rewritten": rewritten}

    # --- reading back -----------------------------------------------------------------------------
    def outputs(self, upload_id: str | None = None) -> list[OutputRow]:
        sql = "SELECT * FROM thumb_outputs" + (" WHERE upload_id = ?" if upload_id else "") + " ORDER BY key"
        return [cast(OutputRow, dict(r)) for r in self.store.query(sql, (upload_id,) if upload_id else ())]

    def counts(self) -> dict[str, int]:
        """Uploads, thumbnails, manifests and outputs in the store, and how many uploads have all six."""
        row = self.store.one(
            "SELECT (SELECT COUNT(*) FROM thumb_uploads), "
            "(SELECT COUNT(*) FROM thumb_outputs WHERE kind = 'thumbnail'), "
            "(SELECT COUNT(*) FROM thumb_outputs WHERE kind = 'manifest'), "
            "(SELECT COUNT(*) FROM (SELECT upload_id FROM thumb_outputs GROUP BY upload_id HAVING COUNT(*) = ?))",
            (OUTPUTS_PER_UPLOAD,))
        assert row is not None
        return {"uploads": row[0], "thumbnails": row[1], "manifests": row[2], "outputs": row[1] + row[2],
                "complete_uploads": row[3]}

    def resize_calls(self) -> dict[tuple[str, int], int]:
        """Resize calls per (upload, size), failed ones included: the store's own count of attempts."""
        rows = self.store.query("SELECT upload_id, size, COUNT(*) FROM thumb_calls WHERE operation = 'resize' "
                                "GROUP BY upload_id, size")
        return {(r[0], int(r[1])): int(r[2]) for r in rows}

    def retried(self) -> dict[str, int]:
        """Only the (upload, size) pairs called more than once, as `upload-0001 w512` → calls."""
        return {f"{u} w{s}": n for (u, s), n in sorted(self.resize_calls().items()) if n > 1}

    def work_seconds(self) -> float:
        """Worker time the calls took, failed attempts included (what worker slots were held for)."""
        row = self.store.one("SELECT COALESCE(SUM(work_seconds), 0) FROM thumb_calls")
        return float(row[0]) if row is not None else 0.0

    def _now(self, at: datetime | None) -> str:
        if at is not None:
            return as_utc(at).isoformat()
        if self.clock is None:
            raise ThumbnailError("an image-store call needs a time: pass at= or give ImageStore a clock")
        return self.clock.now().isoformat()


@dataclass
class World:
    """What every engine's run starts from: a virtual clock at day 0, one database, the image
    store on it with the scenario's uploads (and, in flaky-size, its fault)."""

    clock: VirtualClock
    store: Store
    images: ImageStore
    uploads: list[Upload]

    @classmethod
    def open(cls, scenario: str, engine: str, db: str | Path = ":memory:") -> World:
        if scenario not in SCENARIOS:
            raise ThumbnailError(f"unknown scenario {scenario!r} for thumbnail-fan-out on {engine}; "
                                 f"choose one of {', '.join(SCENARIOS)}")
        clock = VirtualClock(EPOCH)
        store = open_store(db)
        images = ImageStore(store, clock)
        uploads = uploads_for(scenario)
        images.add_uploads(uploads)
        if scenario == "flaky-size":
            images.inject_flaky(uploads[0]["upload_id"], FLAKY_SIZE)
        return cls(clock, store, images, uploads)
