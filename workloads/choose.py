"""choose_model: which orchestration model a workload card belongs on, and why, chip by chip.

The course's rule is the starting point: a long wait or signals → replay; a batch DAG with
neither → dag; otherwise → statemachine. Here it is generalised: every present chip adds its
weight to the engines it pulls toward (from the catalogue), a chip can rule an engine out
("never": a DAG cannot hold a long wait or receive a signal), and ties are broken in the order
the course's rule would pick. With the default weights, a long wait or a signal always wins
for replay, because each outweighs everything that pulls only toward the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engines.trace import ENGINES
from workloads.cards import Card, CardError
from workloads.requirements import Requirement, catalogue, unknown_key_message

MODELS = ENGINES  # the three orchestration models, named as the engines are
MODEL_TITLES = {"replay": "code-as-workflow replay", "dag": "DAG scheduler", "statemachine": "state machine"}

# Default weight of each requirement key. The course's decisive keys weigh most:
# long_wait and signals (4) outweigh cloud_native + declarative (3) together, and batch_dag (3)
# outweighs scheduled or any single replay-only key. Keys every engine serves weigh little.
_DEFAULT_WEIGHTS: dict[str, float] = {
    "long_wait": 4.0,
    "signals": 4.0,
    "batch_dag": 3.0,
    "unbounded": 2.0,
    "cloud_native": 1.5,
    "declarative": 1.5,
    "scheduled": 1.0,
    "crash_survival": 1.0,
    "long_running_stateful": 1.0,
    "queries": 1.0,
    "evolves_in_flight": 1.0,
    "fan_out": 1.0,
    "compensation": 1.0,
    "side_effects": 1.0,
    "retries": 0.5,
    "exactly_once_effects": 0.5,
}
#: What the canvas's "requirement weight" knob multiplies the chosen key's weight by.
EMPHASIS_FACTOR = 3.0


@dataclass
class Reason:
    """One chip's part in the choice: the term and scene behind it, and what it means here."""

    key: str
    present: bool
    term: str
    scene: str  # scene number, "07"
    why: str
    toward: list[str] = field(default_factory=list)


@dataclass
class Choice:
    """The recommended model for a card, every engine's score, and a reason per chip."""

    card: Card
    model: str
    scores: dict[str, float]
    reasons: list[Reason]
    #: engine → the present keys that rule it out (e.g. {"dag": ["long_wait", "signals"]}).
    ruled_out: dict[str, list[str]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return MODEL_TITLES[self.model]


def default_weights() -> dict[str, float]:
    """A weight for every catalogue key (keys without a tuned weight count 1.0)."""
    return {key: _DEFAULT_WEIGHTS.get(key, 1.0) for key in catalogue()}


def emphasised_weights(key: str, factor: float = EMPHASIS_FACTOR) -> dict[str, float]:
    """The default weights with one key raised: the canvas's "requirement weight" knob."""
    weights = default_weights()
    if key not in weights:
        raise CardError(f"requirement weight: {key}: {unknown_key_message(key)}")
    weights[key] *= factor
    return weights


def course_rule(card: Card) -> str:
    """The course's three-line rule, exactly as scene 12 shows it."""
    if card.chips.get("long_wait") or card.chips.get("signals"):
        return "replay"
    if card.chips.get("batch_dag"):
        return "dag"
    return "statemachine"


def _preference(card: Card) -> list[str]:
    """Tie-break order: the course rule's pick first, then the rest in a fixed order."""
    first = course_rule(card)
    return [first] + [m for m in ("statemachine", "replay", "dag") if m != first]


def _why(card: Card, req: Requirement, present: bool, model: str) -> str:
    label = card.chip_label(req.key)
    cite = f"{req.term} (scene {req.scene_display})"
    if not present:
        return f"{label}: not needed, so no {cite}: {req.when_absent}"
    text = f"{label} → {cite}: {req.on_engine[model]}"
    if model in req.never:  # only reachable when every engine is ruled out
        text += f" (the {MODEL_TITLES[model]} cannot really serve this)"
    return text


def choose_model(card: Card, weights: dict[str, float] | None = None) -> Choice:
    """Score the three models for a card and pick one; `weights` overrides some defaults."""
    merged = default_weights()
    for key, value in (weights or {}).items():
        if key not in merged:
            raise CardError(f"weights: {key}: {unknown_key_message(key)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise CardError(f"weights: {key}: expected a number of 0 or more, got {value!r}")
        merged[key] = float(value)
    known = catalogue()
    scores: dict[str, float] = {m: 0.0 for m in MODELS}
    ruled_out: dict[str, list[str]] = {}
    for key in card.present():
        req = known[key]
        for model in req.toward:
            scores[model] += merged[key]
        for model in req.never:
            ruled_out.setdefault(model, []).append(key)
    candidates = [m for m in MODELS if m not in ruled_out] or list(MODELS)
    order = _preference(card)
    model = max(candidates, key=lambda m: (scores[m], -order.index(m)))
    reasons = [
        Reason(
            key=key,
            present=card.chips[key],
            term=req.term,
            scene=req.scene,
            why=_why(card, req, card.chips[key], model),
            toward=list(req.toward),
        )
        for key, req in known.items()
        if key in card.chips
    ]
    return Choice(card=card, model=model, scores=scores, reasons=reasons, ruled_out=ruled_out)


def choice_json(choice: Choice) -> dict:
    """The `choose --json` shape: {"card", "model", "reasons": [{key, present, term, scene, why}]}."""
    return {
        "card": choice.card.id,
        "model": choice.model,
        "reasons": [
            {"key": r.key, "present": r.present, "term": r.term, "scene": r.scene, "why": r.why}
            for r in choice.reasons
        ],
    }
