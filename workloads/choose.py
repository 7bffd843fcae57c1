"""choose_model: which orchestration model a workload card belongs on, and why, chip by chip.

The course's rule is the starting point: a long wait or signals → replay; a batch DAG with
neither → dag; otherwise → statemachine. Here it is graded: each engine serves a present chip
(✓, its whole weight), serves it within a limit it states (◒, half), or cannot (✗, nothing), as
the catalogue says and as the card's amounts decide (a 3-day wait fits a DAG sensor's 7-day
default timeout, a 2-year wait outlives a Step Functions execution). A "cannot" on a hard chip
(long_wait, signals) rules the engine out. A wait that every engine holds (a week or less) weighs
a quarter: it is not the course's long wait. Ties go the way the course's rule would pick.

What the grades add to the course's rule: its own cases still hold (a 30-day wait plus a cancel
goes to replay, the nightly ETL to the DAG), but a short wait can stay on a DAG (a sensor), a
cloud-native approval whose answer comes back through a callback token goes to the state
machine, and a card with nothing to orchestrate gets "none".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engines.trace import ENGINES
from workloads.cards import Card, CardError
from workloads.requirements import (
    GRADE_SHARE, Grade, Measure, Requirement, catalogue, parse_duration, unknown_key_message,
)

MODELS = ENGINES  # the three orchestration models, named as the engines are
#: What `choose` answers when no chip needs an engine at all.
NONE = "none"
MODEL_TITLES = {"replay": "code-as-workflow replay", "dag": "DAG scheduler", "statemachine": "state machine",
                NONE: "no orchestrator"}
NOTHING_TO_ORCHESTRATE = ("nothing to orchestrate: no step waits, no outside input, no side effect to undo or "
                          "survive a crash for, so a plain function call (with a client-side retry) does it")

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
#: The share of its weight a measured chip keeps when its amount is within `decisive_beyond`.
WITHIN_EVERY_LIMIT = 0.25

# Fan-out sizes against each engine's limits (docs.temporal.io workflow-execution/limits; AWS
# Step Functions "Map state in Inline mode" and quotas; Airflow [core] max_map_length).
TEMPORAL_HISTORY_WARN = 10_240
TEMPORAL_HISTORY_LIMIT = 51_200
TEMPORAL_PENDING_LIMIT = 2_000
#: A child workflow adds three events to its parent's history (initiated, started, completed).
EVENTS_PER_CHILD = 3
SFN_HISTORY_LIMIT = 25_000
SFN_INLINE_CONCURRENCY = 40
#: An inline Map iteration of one Task: iteration started, state entered, scheduled, started,
#: succeeded, state exited, iteration succeeded.
EVENTS_PER_MAP_ITERATION = 7
AIRFLOW_MAX_MAP_LENGTH = 1_024


@dataclass
class Reason:
    """One chip's part in the choice: the term and scene behind it, and what it means here."""

    key: str
    present: bool
    term: str
    scene: str  # scene number, "07"
    why: str
    toward: list[str] = field(default_factory=list)
    #: The chosen model's grade for a present chip (None when absent, or when the answer is "none").
    grade: Grade | None = None
    #: Every engine's grade for a present chip.
    grades: dict[str, Grade] = field(default_factory=dict)

    @property
    def mark(self) -> str:
        """The grade's mark on the chosen model (○ for an absent chip, · when the answer is "none")."""
        if not self.present:
            return "○"
        return self.grade.mark if self.grade is not None else "·"

    @property
    def sentence(self) -> str:
        """`why` without its "label → term (scene NN): " lead, for a table that shows those apart."""
        return self.why.split("): ", 1)[1] if "): " in self.why else self.why


@dataclass
class Choice:
    """The recommended model for a card, every engine's score, and a reason per chip."""

    card: Card
    model: str
    scores: dict[str, float]
    reasons: list[Reason]
    #: engine → the present keys that rule it out (e.g. {"dag": ["long_wait", "signals"]}).
    ruled_out: dict[str, list[str]] = field(default_factory=dict)
    #: engine → size warnings naming the limit a fan-out passes.
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return MODEL_TITLES[self.model]

    @property
    def summary(self) -> str:
        """One line: the model and, for "none", why nothing needs an engine."""
        if self.model == NONE:
            return NOTHING_TO_ORCHESTRATE
        return f"{self.title} ({self.model})"


def default_weights() -> dict[str, float]:
    """A weight for every catalogue key (keys without a tuned weight count 1.0)."""
    return {key: _DEFAULT_WEIGHTS.get(key, 1.0) for key in catalogue()}


def emphasised_weights(key: str, factor: float = EMPHASIS_FACTOR) -> dict[str, float]:
    """The default weights with one key raised: the canvas's "requirement weight" knob."""
    weights = default_weights()
    if not key.strip():
        raise CardError("requirement weight: give a requirement key, e.g. cloud_native")
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


def grade_of(card: Card, key: str, engine: str) -> tuple[Grade, str]:
    """How `engine` serves the card's present chip `key`: (grade, the sentence that says why)."""
    return catalogue()[key].graded(engine, card.amount(key), frozenset(card.present()))


def chip_weight(card: Card, req: Requirement, weight: float) -> float:
    """The weight a present chip brings: a quarter when its amount is within every engine's limit."""
    amount = card.amount(req.key)
    if req.decisive_beyond is not None and amount is not None and amount <= parse_duration(req.decisive_beyond):
        return weight * WITHIN_EVERY_LIMIT
    return weight


def fan_out_warnings(card: Card) -> dict[str, list[str]]:
    """engine → the limits a fan-out of the card's size passes, each named with its number."""
    found: dict[str, list[str]] = {}
    for key in card.present():
        if catalogue()[key].measure is not Measure.COUNT:
            continue
        amount = card.amount(key)
        if amount is None:
            continue
        n = int(amount)
        replay, sfn, dag = [], [], []
        if n > TEMPORAL_PENDING_LIMIT:
            replay.append(f"{n:,} sub-units in flight at once pass Temporal's limit of {TEMPORAL_PENDING_LIMIT:,} "
                          "pending child workflows (or activities) per execution: start them in batches")
        if n * EVENTS_PER_CHILD > TEMPORAL_HISTORY_WARN:
            replay.append(f"{n:,} children write about {n * EVENTS_PER_CHILD:,} events into the parent's history, past "
                          f"Temporal's warning at {TEMPORAL_HISTORY_WARN:,} events (the limit is "
                          f"{TEMPORAL_HISTORY_LIMIT:,} events or 50 MB): spread them over ContinueAsNew runs or a tree of children")
        if n * EVENTS_PER_MAP_ITERATION > SFN_HISTORY_LIMIT:
            sfn.append(f"an inline Map over {n:,} items writes about {n * EVENTS_PER_MAP_ITERATION:,} events into one "
                       f"execution's history, past Step Functions' {SFN_HISTORY_LIMIT:,}-event limit: use a Distributed Map, "
                       "which runs each item (or batch) as a child execution")
        if n > SFN_INLINE_CONCURRENCY:
            sfn.append(f"an inline Map runs at most {SFN_INLINE_CONCURRENCY} of the {n:,} iterations at once; "
                       "a Distributed Map runs up to 10,000 child executions in parallel")
        if n > AIRFLOW_MAX_MAP_LENGTH:
            dag.append(f"mapping over {n:,} items passes Airflow's max_map_length ({AIRFLOW_MAX_MAP_LENGTH:,} by "
                       "default): the task that pushes the list fails unless [core] max_map_length is raised")
        for engine, lines in (("replay", replay), ("statemachine", sfn), ("dag", dag)):
            if lines:
                found.setdefault(engine, []).extend(lines)
    return found


def _preference(card: Card) -> list[str]:
    """Tie-break order: the course rule's pick first, then the rest in a fixed order."""
    first = course_rule(card)
    return [first] + [m for m in ("statemachine", "replay", "dag") if m != first]


def _why(card: Card, req: Requirement, present: bool, model: str) -> str:
    label = card.chip_label(req.key)
    cite = f"{req.term} (scene {req.scene_display})"
    if not present:
        return f"{label}: not needed, so no {cite}: {req.when_absent}"
    if model == NONE:
        return f"{label} → {cite}: a plain call has this without an engine (a client-side retry, an idempotency key)"
    grade, sentence = grade_of(card, req.key, model)
    return f"{grade.mark} {label} → {cite}: {sentence}"


def merged_weights(weights: dict[str, float] | None) -> dict[str, float]:
    """The default weights with `weights` laid over them, each checked (a known key, 0 to 1,000,000)."""
    merged = default_weights()
    for key, value in (weights or {}).items():
        if key not in merged:
            raise CardError(f"weights: {key}: {unknown_key_message(key)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1e6:
            raise CardError(f"weights: {key}: expected a number from 0 to 1,000,000, got {value!r}")
        merged[key] = float(value)
    return merged


def choose_model(card: Card, weights: dict[str, float] | None = None) -> Choice:
    """Score the three models for a card and pick one (or "none"); `weights` overrides some defaults."""
    merged = merged_weights(weights)
    known = catalogue()
    scores: dict[str, float] = {m: 0.0 for m in MODELS}
    ruled_out: dict[str, list[str]] = {}
    present = card.present()
    for key in present:
        req = known[key]
        weight = chip_weight(card, req, merged[key])
        for engine in MODELS:
            grade, _ = grade_of(card, key, engine)
            scores[engine] += weight * GRADE_SHARE[grade]
            if grade is Grade.CANNOT and req.hard:
                ruled_out.setdefault(engine, []).append(key)
    model: str
    if not any(known[k].orchestrates for k in present):
        model = NONE
    else:
        candidates = [m for m in MODELS if m not in ruled_out] or list(MODELS)
        order = _preference(card)
        model = max(candidates, key=lambda m: (scores[m], -order.index(m)))
    reasons = []
    for key, req in known.items():
        if key not in card.chips:
            continue
        on = card.chips[key]
        grades: dict[str, Grade] = {m: grade_of(card, key, m)[0] for m in MODELS} if on else {}
        reasons.append(Reason(key=key, present=on, term=req.term, scene=req.scene, why=_why(card, req, on, model),
                              toward=list(req.toward), grade=grades.get(model), grades=grades))
    return Choice(card=card, model=model, scores=scores, reasons=reasons, ruled_out=ruled_out,
                  warnings=fan_out_warnings(card))


def choice_json(choice: Choice) -> dict:
    """The `choose --json` shape: {"card", "model", "summary", "reasons": [...], "warnings": {engine: [...]}}."""
    return {
        "card": choice.card.id,
        "model": choice.model,
        "summary": choice.summary,
        "reasons": [
            {"key": r.key, "present": r.present, "term": r.term, "scene": r.scene,
             "grade": r.grade.value if r.grade is not None else None, "why": r.why}
            for r in choice.reasons
        ],
        "warnings": {engine: list(lines) for engine, lines in choice.warnings.items()},
    }
