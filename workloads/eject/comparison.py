"""A real engine's run beside the mini-engine's: every difference, listed in plain words.

Three things are compared, each in the real system's own vocabulary: the status (the mini run's
status put in the real system's word by that system's `mini_status`), what the services recorded
(money and goods from the one ledger both runs wrote), and the steps (Temporal's event types or
Step Functions' history event types in order; Airflow's task states by task_id).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from workloads.eject.real import RealRun
from workloads.runs import WorkloadRun

#: The ledger figures a run's outcome carries, in the order a person reads a statement.
LEDGER_FIELDS = ("charged_cents", "refunded_cents", "reserved", "released", "shipped", "emailed")


@dataclass(frozen=True)
class Difference:
    """One thing the two runs disagree on: what, the mini-engine's value, the real engine's."""

    what: str
    mini: Any
    real: Any

    def line(self, mini_name: str, real_name: str) -> str:
        return f"{self.what}: {mini_name} {self.mini!r} · {real_name} {self.real!r}"


@dataclass
class Comparison:
    real: RealRun
    mini_status: str
    mini_ledger: dict[str, int]
    mini_steps: list[str] | dict[str, str]
    differences: list[Difference] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        return [d.line(self.real.mini_engine, self.real.system.value) for d in self.differences]

    def to_json(self) -> dict[str, Any]:
        return {"real": self.real.to_json(), "mini": {"engine": self.real.mini_engine, "status": self.mini_status,
                                                      "ledger": self.mini_ledger, "steps": self.mini_steps},
                "same": self.same, "differences": self.lines()}


def ledger_of(run: WorkloadRun) -> dict[str, int]:
    o = run.outcome
    return {name: int(getattr(o, name)) for name in LEDGER_FIELDS}


def step_differences(mini: list[str] | dict[str, str], real: list[str] | dict[str, str]) -> list[Difference]:
    """Task states by task_id (a dict) or event types in order (a list, as a unified diff's changes)."""
    if isinstance(mini, dict) and isinstance(real, dict):
        return [Difference(f"task {task}", mini.get(task, "absent"), real.get(task, "absent"))
                for task in sorted(set(mini) | set(real)) if mini.get(task) != real.get(task)]
    a, b = list(mini), list(real)
    out: list[Difference] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(Difference(f"events {i1 + 1}–{i2} / {j1 + 1}–{j2} ({tag})", a[i1:i2], b[j1:j2]))
    return out


def compare(mini: WorkloadRun, real: RealRun, *, mini_status: str, mini_steps: list[str] | dict[str, str]) -> Comparison:
    """Every difference between the mini-engine's run and the real engine's run of one scenario."""
    ledger = ledger_of(mini)
    c = Comparison(real=real, mini_status=mini_status, mini_ledger=ledger, mini_steps=mini_steps)
    if mini_status != real.status:
        c.differences.append(Difference("status", mini_status, real.status))
    for name in LEDGER_FIELDS:
        if ledger.get(name, 0) != int(real.ledger.get(name, 0)):
            c.differences.append(Difference(f"ledger {name}", ledger.get(name, 0), int(real.ledger.get(name, 0))))
    c.differences.extend(step_differences(mini_steps, real.steps))
    return c
