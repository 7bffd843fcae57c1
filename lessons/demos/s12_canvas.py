"""Scene 12: the design canvas. One card, the model the chooser recommends, and the verifier's
verdict for placing it on each of the three engines, each requirement citing its scene.

Where the card has a runnable workload, the verdicts carry evidence from really running it on
that engine. An engine whose version of the workload is not written yet is judged on the
requirements alone, and the demo says so (it checks again on every run).
"""

from __future__ import annotations

from engines.trace import ENGINES, EngineName
from lessons.demos.result import DemoResult
from workloads.requirements import display_number
from workloads.cards import Card, card_text, get_card
from workloads.choose import MODEL_TITLES, NONE, NOTHING_TO_ORCHESTRATE, choose_model
from workloads.registry import versions
from workloads.runner import run_workload
from workloads.runs import WorkloadRun
from workloads.verifier import Verdict, decided_by, verify
from workloads.verifier import headline as verdict_headline


def demo(card: str) -> DemoResult:
    chosen = get_card(card)
    choice = choose_model(chosen)
    lines = [f"Card {chosen.letter}: {card_text(chosen.title)}. {card_text(chosen.story)}".strip(),
             "Chips: " + "; ".join(f"{'✓' if on else '○'} {card_text(chosen.chip_label(k))}" for k, on in chosen.chips.items()),
             f"Recommended: {MODEL_TITLES[choice.model]} (scores "
             + ", ".join(f"{m} {s:g}" for m, s in choice.scores.items()) + ")."
             + (f" {NOTHING_TO_ORCHESTRATE}." if choice.model == NONE else ""),
             "Marks: ✓ serves, ◒ limited (serves within the limit its sentence states), ✗ cannot."]
    verdicts: dict[str, Verdict] = {}
    runs: dict[str, WorkloadRun] = {}
    missing: list[EngineName] = []
    for engine in ENGINES:
        runnable = _runnable(chosen, engine)
        if chosen.workload is not None and not runnable:
            missing.append(engine)
        verdicts[engine] = v = verify(chosen, engine, evidence=runnable)
        lines.append(verdict_headline(v))
        lines.append(f"  {decided_by(v)}")
        lines.extend(f"  {card_text(ln.text)}" for ln in v.lines if ln.present)
        lines.extend(f"  size warning: {w}" for w in v.warnings)
        lines.extend(f"  evidence: {ev}" for ev in v.evidence)
        if runnable and chosen.workload is not None and chosen.scenarios:
            runs[engine] = run_workload(chosen.workload, engine, chosen.scenarios[0])
    for engine in missing:
        lines.append(f"  ({engine}: the {chosen.workload} workload is not written for this engine yet, so its verdict "
                     "rests on the requirements alone)")
    citations = sorted({(ln.term, ln.scene) for v in verdicts.values() for ln in v.lines if ln.present},
                       key=lambda ts: ts[1])
    headline = (f"Card {chosen.letter} ({card_text(chosen.title)}) → {MODEL_TITLES[choice.model]}; citing "
                + ", ".join(f"{term} ({display_number(scene)})" for term, scene in citations))
    return DemoResult(scene="12", knobs={}, headline=headline, lines=lines, runs=runs, figures={
        "card": chosen.letter, "recommended": choice.model, "scores": dict(choice.scores),
        "verdicts": {e: v.correct for e, v in verdicts.items()},
        "citations": {term: scene for term, scene in citations},
        "failed_requirements": {e: [ln.key for ln in v.lines if ln.present and not ln.ok] for e, v in verdicts.items()},
        "grades": {e: {ln.key: ln.grade.value for ln in v.lines if ln.grade is not None} for e, v in verdicts.items()},
        "deciding": {e: v.deciding for e, v in verdicts.items()},
        "evidence_engines": [e for e in ENGINES if chosen.workload is not None and e not in missing],
        "no_evidence_engines": missing})


def _runnable(card: Card, engine: EngineName) -> bool:
    """Can the card's workload really run on `engine` now (is that engine's version registered)?"""
    return card.workload is not None and engine in versions(card.workload)
