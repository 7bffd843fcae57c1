"""What a scene's live demo hands back: one headline, a few figures, an account and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workloads.runs import WorkloadRun


@dataclass
class DemoResult:
    """The outcome of one demo run with one set of knob values.

    Every figure is read from what the engines and services recorded (histories, traces, the
    services' ledger), so a student who turns a knob sees the mechanism, not a script.
    """

    scene: str
    knobs: dict[str, Any]
    headline: str                                               # one line: what happened
    figures: dict[str, object] = field(default_factory=dict)     # the few numbers the scene is about
    lines: list[str] = field(default_factory=list)               # plain-words account, in order
    runs: dict[str, WorkloadRun] = field(default_factory=dict)   # traces/outcomes by label
    history: list[dict] = field(default_factory=list)            # replay history rows: id, time, type, attributes
