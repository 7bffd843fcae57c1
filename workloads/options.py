"""The knobs one call to the side-by-side runner can carry, typed, and their names.

One `RunOptions` carries every engine's knobs at once (a version gate means nothing to a DAG, a
sensor timeout nothing to a workflow), so `run_side_by_side` can hand the same options to all
three versions of a workload. Each version declares the `Option`s it takes; it reads only
those, and the runner refuses a `--day` given to a version that has no day to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from workloads.details import WaitMode
from workloads.runs import Listener


class Option(StrEnum):
    """A knob a workload version may take (every version takes `db` and `listener`)."""

    DAY = "day"                          # the day of the user's action (cancel, crash, deploy, answer)
    GATE = "gate"                        # replay: deploy v2 behind a patched() version gate
    IDEMPOTENCY = "idempotency"          # replay: activities pass stable idempotency keys
    SENSOR_TIMEOUT = "sensor_timeout"    # dag: the wait sensor's timeout
    MODE = "mode"                        # dag: how the sensor waits: poke, reschedule or deferrable
    PLAIN_STOP = "plain_stop"            # statemachine: cancel by StopExecution instead of the callback


@dataclass(frozen=True)
class RunOptions:
    """Every engine's knobs for one run; a version reads the ones its `takes` names."""

    day: float | None = None
    db: str | Path = ":memory:"
    listener: Listener | None = None
    gate: bool = True
    idempotency: bool = True
    sensor_timeout: timedelta | None = None
    mode: WaitMode = WaitMode.POKE
    plain_stop: bool = False
