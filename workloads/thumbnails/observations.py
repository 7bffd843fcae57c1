"""What a thumbnail run saw, read from the image store (and, per size, from the engine).

`counts` and `retried_calls` come from the store's own tables: outputs written, and the
(upload, size) pairs the store was called for more than once. `attempts` is the engine's
word for the same thing on a single upload: the attempt each size's activity / task instance
/ Map iteration finished on. The two agree when a failing size is retried on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workloads.runs import Observations
from workloads.thumbnails import images as im
from workloads.thumbnails.images import ImageStore, OutputRow, Upload


@dataclass(frozen=True)
class ThumbnailObservations(Observations):
    uploads: int = 0
    counts: dict[str, int] = field(default_factory=dict)        # ImageStore.counts()
    retried_calls: dict[str, int] = field(default_factory=dict)  # "upload-0001 w512" -> calls (only those > 1)
    attempts: dict[str, int] = field(default_factory=dict)       # engine: size unit ("resize-w512", ...) -> attempt
    work_seconds: float = 0.0                                    # worker time of every call the store took
    outputs: list[OutputRow] = field(default_factory=list)       # one upload's rows (empty for a batch)
    workflows: int = 0          # replay: workflow executions; dag: DAG runs; statemachine: executions
    largest_history: int = 0    # the longest single history (replay, statemachine), or task instances (dag)

    @classmethod
    def read(cls, images: ImageStore, uploads: list[Upload], *, attempts: dict[str, int] | None = None,
             workflows: int = 0, largest_history: int = 0) -> ThumbnailObservations:
        return cls(uploads=len(uploads), counts=images.counts(), retried_calls=images.retried(),
                   attempts=dict(attempts or {}), work_seconds=images.work_seconds(),
                   outputs=images.outputs(uploads[0]["upload_id"]) if len(uploads) == 1 else [],
                   workflows=workflows, largest_history=largest_history)

    @property
    def expected_outputs(self) -> int:
        return self.uploads * im.OUTPUTS_PER_UPLOAD


def problems_of(observed: ThumbnailObservations, unit: str, retry: str) -> list[str]:
    """The plain-words lines every engine reports: missing outputs, and which sizes needed retries."""
    out: list[str] = []
    got = observed.counts.get("outputs", 0)
    if got != observed.expected_outputs:
        out.append(f"the image store holds {got:,} outputs, not the {observed.expected_outputs:,} "
                   f"({im.OUTPUTS_PER_UPLOAD} per upload) the run should have written")
    for pair, calls in observed.retried_calls.items():
        out.append(f"{pair} was resized {calls} times: that {unit} alone was retried ({retry}); "
                   "the other sizes ran once")
    return out
