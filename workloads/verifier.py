"""The verifier: judges a placement (card → engine) key by key, citing the scene behind each
requirement, and backs the verdict with evidence from really running the card's workload there.

Every present chip gets one of three grades on the placed engine (✓ serves, ◒ limited: serves
it within the limit its sentence states, ✗ cannot), from the same catalogue the chooser scores
with, so a mark and its sentence always agree. The lines that decide the verdict (where the
placed engine and the recommended one, or the runner-up, differ most) come first, and the
evidence runs first the scenarios that show those chips at work (the cancel for signals, the
long wait for long_wait), then the rest; each evidence line names its scenario and its chip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engines.errors import WorkflowCanvasError
from engines.trace import ENGINES
from workloads.cards import Card
from workloads.choose import MODEL_TITLES, NONE, Choice, chip_weight, choose_model, grade_of, merged_weights
from workloads.requirements import GRADE_SHARE, Grade, catalogue, requirement

#: Which scenario shows a requirement at work, when the card's workload has it (first one found).
EVIDENCE_SCENARIOS: dict[str, tuple[str, ...]] = {
    "signals": ("cancel", "approve", "new-documents"),
    "long_wait": ("happy", "no-answer"),
    "compensation": ("cancel", "reject"),
    "crash_survival": ("crash",),
    "retries": ("sick-payment", "flaky-transform", "declined", "flaky-size"),
    "evolves_in_flight": ("deploy-v2", "price-change"),
    "unbounded": ("happy",),
    "fan_out": ("one-upload", "batch-1000"),
    "batch_dag": ("happy",),
    "scheduled": ("happy",),
    "cloud_native": ("approve", "one-upload"),
    "declarative": ("approve",),
}
#: The day a scenario's action happens in the evidence run, where the default would prove nothing:
#: a crash on day 3 is inside the 30-day wait on every engine (the DAG's default, day 10, comes
#: after its sensor already failed on day 7).
EVIDENCE_DAYS: dict[str, float] = {"crash": 3.0}
EVIDENCE_LIMIT = 3


class PlacementError(WorkflowCanvasError):
    pass


@dataclass
class VerdictLine:
    key: str
    present: bool
    term: str
    scene: str
    #: The placed engine's grade for a present chip; None for an absent one (○ not needed).
    grade: Grade | None
    text: str
    #: True for the lines that decide the verdict (listed first).
    deciding: bool = False

    @property
    def ok(self) -> bool:
        """Served, fully or within its stated limit (an absent chip is fine too)."""
        return self.grade is not Grade.CANNOT

    @property
    def mark(self) -> str:
        return self.grade.mark if self.grade is not None else "○"


@dataclass
class Verdict:
    card: Card
    placed_on: str
    correct: bool
    recommended: str
    lines: list[VerdictLine]
    evidence: list[str] = field(default_factory=list)
    #: The engine the placement was weighed against (the recommended one, or the runner-up).
    compared_with: str | None = None
    #: Size warnings for the placed engine (a fan-out past its limits).
    warnings: list[str] = field(default_factory=list)
    #: The scenarios the evidence ran, in order.
    evidence_scenarios: list[str] = field(default_factory=list)

    @property
    def deciding(self) -> list[str]:
        return [ln.key for ln in self.lines if ln.deciding]

    def to_json(self) -> dict:
        return {
            "card": self.card.id,
            "placed_on": self.placed_on,
            "correct": self.correct,
            "model": self.recommended,
            "compared_with": self.compared_with,
            "deciding": self.deciding,
            "reasons": [
                {"key": ln.key, "present": ln.present, "term": ln.term, "scene": ln.scene,
                 "grade": ln.grade.value if ln.grade is not None else None, "ok": ln.ok,
                 "deciding": ln.deciding, "why": ln.text}
                for ln in self.lines
            ],
            "warnings": list(self.warnings),
            "evidence_scenarios": list(self.evidence_scenarios),
            "evidence": list(self.evidence),
        }


def _line(card: Card, key: str, engine: str) -> VerdictLine:
    """One chip's line: mark label → term (scene): how this engine serves it, or why it is not needed."""
    req = requirement(key)
    present = card.chips[key]
    label = card.chip_label(key)
    cite = f"{req.term} (scene {req.scene_display})"
    if not present:
        return VerdictLine(key, False, req.term, req.scene, None, f"○ {label}: not needed, so no {cite}: {req.when_absent}")
    grade, sentence = grade_of(card, key, engine)
    return VerdictLine(key, True, req.term, req.scene, grade, f"{grade.mark} {label} → {cite}: {sentence}")


def compared_engine(choice: Choice, engine: str) -> str | None:
    """What a placement is weighed against: the recommended engine, or if it is the one placed on
    (or the answer is "none"), the best of the others."""
    if choice.model not in (engine, NONE):
        return choice.model
    others = [m for m in ENGINES if m != engine and m not in choice.ruled_out] or [m for m in ENGINES if m != engine]
    return max(others, key=lambda m: choice.scores[m]) if others else None


def deciding_keys(card: Card, choice: Choice, engine: str, other: str | None,
                  weights: dict[str, float] | None = None) -> list[str]:
    """The present chips whose grades on `engine` and `other` differ, the weightiest gap first;
    a chip that rules `engine` out comes before all others."""
    if other is None:
        return []
    merged = merged_weights(weights)
    gaps: list[tuple[float, str]] = []
    for key in card.present():
        mine, theirs = grade_of(card, key, engine)[0], grade_of(card, key, other)[0]
        if mine is theirs:
            continue
        weight = chip_weight(card, catalogue()[key], merged[key])
        gap = abs(GRADE_SHARE[mine] - GRADE_SHARE[theirs]) * weight
        if key in choice.ruled_out.get(engine, []):
            gap += 1e9
        gaps.append((gap, key))
    return [key for _, key in sorted(gaps, key=lambda g: -g[0])]


def evidence_plan(card: Card, deciding: list[str], limit: int = EVIDENCE_LIMIT) -> list[tuple[str, str | None]]:
    """(scenario, the chip it shows) for the card's workload: first the scenarios of the chips that
    decide a card's fate on every engine (the hard ones: the cancel for signals, the long wait for
    long_wait), then those of the verdict's deciding chips, then of its other present chips, then
    the first scenario if none matched."""
    chosen: list[tuple[str, str | None]] = []
    hard = sorted((k for k in card.present() if catalogue()[k].hard),
                  key=lambda k: deciding.index(k) if k in deciding else len(deciding))
    order = list(dict.fromkeys(hard + deciding + card.present()))
    for key in order:
        for scenario in EVIDENCE_SCENARIOS.get(key, ()):
            if scenario in card.scenarios:
                if scenario not in [s for s, _ in chosen]:
                    chosen.append((scenario, key))
                break
    if not chosen and card.scenarios:
        chosen.append((card.scenarios[0], None))
    return chosen[:limit]


def evidence_scenarios(card: Card, limit: int = EVIDENCE_LIMIT) -> list[str]:
    """The card's scenarios that show its present requirements at work, deciding ones first."""
    choice = choose_model(card)
    engine = choice.model if choice.model != NONE else ENGINES[0]
    deciding = deciding_keys(card, choice, engine, compared_engine(choice, engine))
    return [s for s, _ in evidence_plan(card, deciding, limit)]


def run_evidence(card: Card, engine: str, limit: int = EVIDENCE_LIMIT, deciding: list[str] | None = None) -> list[str]:
    """Plain-words lines from running the card's workload on `engine`, read from the services' ledger."""
    if card.workload is None:
        return [f"no runnable workload for card {card.letter}: the verdict rests on the requirements alone"]
    from workloads.runner import run_workload

    lines = []
    for scenario, key in evidence_plan(card, deciding or [], limit):
        day = EVIDENCE_DAYS.get(scenario)
        run = run_workload(card.workload, engine, scenario, day=day)
        about = f" (for {key})" if key else ""
        when = f" on day {day:g}" if day is not None else ""
        lines.append(f"{scenario}{when} on {engine}{about}: {describe_outcome(run.outcome)}")
        lines.extend(f"  {p}" for p in run.outcome.problems)
    return lines


def describe_outcome(outcome) -> str:
    """One line a person can read: status, then the money and goods the services recorded."""
    parts = [outcome.status.value]
    if outcome.charged_cents:
        parts.append(f"charged ${outcome.charged_cents / 100:.2f}")
    if outcome.refunded_cents:
        parts.append(f"refunded ${outcome.refunded_cents / 100:.2f}")
    elif outcome.charged_cents and outcome.reserved and not outcome.shipped:  # an order that never left
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
    if "complete_uploads" in result:  # the thumbnail fan-out: what the image store holds
        parts.append(f"outputs {result['outputs']:,} ({result['complete_uploads']:,} of {result['uploads']:,} uploads complete)")
    if "documents_lost" in result:  # the KYC review: which documents the decision saw
        v = result.get("decided_on_version")
        parts.append(f"decided on documents v{v}" if v is not None else "no decision")
        if result.get("lost_versions"):
            parts.append("lost documents " + ", ".join(f"v{n}" for n in result["lost_versions"]))
    if outcome.emailed:
        parts.append(f"emails {outcome.emailed}")
    if outcome.slot_seconds:
        parts.append(f"worker slot held {outcome.slot_seconds / 86400:.1f} days" if outcome.slot_seconds >= 3600
                     else f"worker slot held {outcome.slot_seconds:.0f} s")
    return ", ".join(parts)


def verify(card: Card, engine: str, weights: dict[str, float] | None = None, evidence: bool = True) -> Verdict:
    """Judge placing `card` on `engine`: correct when it is the chosen model; a graded line per chip."""
    if engine not in ENGINES:
        raise PlacementError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    choice = choose_model(card, weights)
    other = compared_engine(choice, engine)
    deciding = deciding_keys(card, choice, engine, other, weights)
    lines = {key: _line(card, key, engine) for key in card.chips}
    for key in deciding:
        lines[key].deciding = True
    ordered = ([lines[k] for k in deciding]
               + [ln for k, ln in lines.items() if k not in deciding and ln.present]
               + [ln for ln in lines.values() if not ln.present])
    verdict = Verdict(card, engine, engine == choice.model, choice.model, ordered, compared_with=other,
                      warnings=list(choice.warnings.get(engine, [])))
    if evidence:
        verdict.evidence_scenarios = [s for s, _ in evidence_plan(card, deciding)] if card.workload else []
        verdict.evidence = run_evidence(card, engine, deciding=deciding)
    return verdict


def headline(verdict: Verdict) -> str:
    placed = MODEL_TITLES[verdict.placed_on]
    if verdict.recommended == NONE:
        return f"✗ Card {verdict.card.letter} on {placed}: recommended none, nothing to orchestrate"
    if verdict.correct:
        return f"✓ Card {verdict.card.letter} on {placed}: the right model"
    return f"✗ Card {verdict.card.letter} on {placed}: recommended {MODEL_TITLES[verdict.recommended]}"


def decided_by(verdict: Verdict) -> str:
    """One sentence naming the deciding chips and how the two engines grade them."""
    if verdict.recommended == NONE:
        return "Decided by: nothing to orchestrate (no chip needs an engine)."
    if not verdict.deciding or verdict.compared_with is None:
        return "Decided by: every engine grades this card's chips alike; the course's rule breaks the tie."
    other = verdict.compared_with
    parts = []
    for ln in verdict.lines:
        if ln.deciding and ln.grade is not None:
            theirs = grade_of(verdict.card, ln.key, other)[0]
            parts.append(f"{ln.key} ({ln.grade.value} here, {theirs.value} on {other})")
    return "Decided by: " + "; ".join(parts) + "."
