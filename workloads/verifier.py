"""The verifier: judges a placement (card → engine) key by key, citing the scene behind each
requirement, and backs the verdict with evidence from really running the card's workload there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engines.errors import WorkflowCanvasError
from engines.trace import ENGINES
from workloads.requirements import requirement
from workloads.cards import Card
from workloads.choose import MODEL_TITLES, choose_model

#: Which scenario shows a requirement at work, when the card's workload supports it.
EVIDENCE_SCENARIOS: dict[str, tuple[str, ...]] = {
    "long_wait": ("happy",),
    "signals": ("cancel",),
    "compensation": ("cancel",),
    "crash_survival": ("crash",),
    "retries": ("sick-payment", "flaky-transform"),
    "evolves_in_flight": ("deploy-v2",),
    "batch_dag": ("happy",),
    "scheduled": ("happy",),
    "cloud_native": ("approve",),
    "declarative": ("approve",),
}


class PlacementError(WorkflowCanvasError):
    pass


@dataclass
class VerdictLine:
    key: str
    present: bool
    term: str
    scene: str
    ok: bool
    text: str


@dataclass
class Verdict:
    card: Card
    placed_on: str
    correct: bool
    recommended: str
    lines: list[VerdictLine]
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "card": self.card.id,
            "placed_on": self.placed_on,
            "correct": self.correct,
            "model": self.recommended,
            "reasons": [
                {"key": ln.key, "present": ln.present, "term": ln.term, "scene": ln.scene, "ok": ln.ok, "why": ln.text}
                for ln in self.lines
            ],
            "evidence": list(self.evidence),
        }


def _line(card: Card, key: str, engine: str) -> VerdictLine:
    """One chip's line: label → term (scene): how this engine serves it, or why it is not needed."""
    req = requirement(key)
    present = card.chips[key]
    label = card.chip_label(key)
    cite = f"{req.term} (scene {req.scene_display})"
    if not present:
        return VerdictLine(key, False, req.term, req.scene, True, f"○ {label}: not needed, so no {cite}: {req.when_absent}")
    ok = engine in req.toward and engine not in req.never
    mark = "✓" if ok else "✗"
    return VerdictLine(key, True, req.term, req.scene, ok, f"{mark} {label} → {cite}: {req.on_engine[engine]}")


def evidence_scenarios(card: Card, limit: int = 3) -> list[str]:
    """The card's scenarios that show its present requirements at work (first one always)."""
    chosen: list[str] = [card.scenarios[0]] if card.scenarios else []
    for key, present in card.chips.items():
        if not present:
            continue
        for scenario in EVIDENCE_SCENARIOS.get(key, ()):
            if scenario in card.scenarios and scenario not in chosen:
                chosen.append(scenario)
    return chosen[:limit]


def run_evidence(card: Card, engine: str, limit: int = 3) -> list[str]:
    """Plain-words lines from running the card's workload on `engine`, read from the services' ledger."""
    if card.workload is None:
        return [f"no runnable workload for card {card.letter}: the verdict rests on the requirements alone"]
    from workloads.runner import run_workload

    lines = []
    for scenario in evidence_scenarios(card, limit):
        run = run_workload(card.workload, engine, scenario)
        lines.append(f"{scenario} on {engine}: {describe_outcome(run.outcome)}")
        lines.extend(f"  {p}" for p in run.outcome.problems)
    return lines


def describe_outcome(outcome) -> str:
    """One line a person can read: status, then the money and goods the services recorded."""
    parts = [outcome.status.value]
    if outcome.charged_cents:
        parts.append(f"charged ${outcome.charged_cents / 100:.2f}")
    if outcome.refunded_cents:
        parts.append(f"refunded ${outcome.refunded_cents / 100:.2f}")
    elif outcome.charged_cents and not outcome.shipped:
        parts.append("never refunded")
    if outcome.reserved:
        parts.append(f"reserved {outcome.reserved}")
    if outcome.released:
        parts.append(f"released {outcome.released}")
    if outcome.charged_cents or outcome.reserved:  # an order: did the goods leave?
        parts.append(f"shipped {outcome.shipped}" if outcome.shipped else "nothing shipped")
    result = outcome.result if isinstance(outcome.result, dict) else {}
    if "paid_out_cents" in result:
        paid = result["paid_out_cents"]
        parts.append(f"paid out ${paid / 100:.2f}" if paid else "nothing paid out")
    if isinstance(result.get("warehouse"), list):  # the nightly ETL's warehouse rows
        parts.append(f"warehouse rows {len(result['warehouse'])}")
    if outcome.emailed:
        parts.append(f"emails {outcome.emailed}")
    if outcome.slot_seconds:
        parts.append(f"worker slot held {outcome.slot_seconds / 86400:.1f} days" if outcome.slot_seconds >= 3600
                     else f"worker slot held {outcome.slot_seconds:.0f} s")
    return ", ".join(parts)


def verify(card: Card, engine: str, weights: dict[str, float] | None = None, evidence: bool = True) -> Verdict:
    """Judge placing `card` on `engine`: correct when it is the chosen model; a line per chip."""
    if engine not in ENGINES:
        raise PlacementError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    choice = choose_model(card, weights)
    lines = [_line(card, key, engine) for key in card.chips]
    correct = engine == choice.model
    verdict = Verdict(card, engine, correct, choice.model, lines)
    if evidence:
        verdict.evidence = run_evidence(card, engine)
    return verdict


def headline(verdict: Verdict) -> str:
    title = MODEL_TITLES[verdict.recommended]
    if verdict.correct:
        return f"✓ Card {verdict.card.letter} on {MODEL_TITLES[verdict.placed_on]}: the right model"
    return f"✗ Card {verdict.card.letter} on {MODEL_TITLES[verdict.placed_on]}: recommended {title}"
