"""The verifier panel: the verdict on a placement, the reasons that decide it first, then every
graded chip and the evidence from running it.

Laid out for the smallest screen the course is shown on (a projector at fontsize 28, about 76×21
cells, where the panel has some 9 rows of 44 cells): the headline and the deciding reasons, one
short line each, come before anything that needs scrolling; the full sentences follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from workloads.cards import card_text
from workloads.choose import grade_of
from workloads.requirements import Grade

if TYPE_CHECKING:
    from workloads.verifier import Verdict

ENGINE_TITLES = {
    "replay": "code-as-workflow replay",
    "dag": "DAG scheduler",
    "statemachine": "state machine",
    "none": "no orchestrator",
}
#: How each grade's line looks: ✓ serves plain, ◒ limited yellow, ✗ cannot red, ○ absent dim.
GRADE_STYLES = {"serves": "", "limited": "yellow", "cannot": "bold red", None: "dim"}
#: The headline badge for each stamp.
BADGES = {
    "✓": ("✓ RIGHT FIT ", "bold reverse green"),
    "◒": ("◒ NOT THE BEST FIT ", "bold reverse yellow"),
    "✗": ("✗ NOT THE BEST FIT ", "bold reverse red"),
}
#: How many deciding reasons the head of the verdict lists (the weightiest first); the rest follow
#: with the other chips, so the head fits the panel at 76×21.
DECIDING_SHOWN = 4


def stamp_of(verdict: Verdict) -> str:
    """The mark a placed card wears: ✓ on its best model (the chooser's recommendation, as the
    verifier judged it), else ◒ when the placed engine still serves every needed chip at least
    within a limit (it would work, not best), else ✗ (some need it cannot serve)."""
    if verdict.correct:
        return "✓"
    if verdict.recommended != "none" and all(ln.grade is not Grade.CANNOT for ln in verdict.lines if ln.present):
        return "◒"
    return "✗"


#: Engine names short enough for the deciding reasons' header.
SHORT_NAMES = {"replay": "replay", "dag": "DAG", "statemachine": "state machine"}


def _short_reason(verdict: Verdict, index: int) -> Text:
    """One deciding line in a few words: the mark here, the mark on the engine it is weighed
    against, the card's label and the course's term ("✗ ✓ 30-day wait → durable timer"); the
    scene and the full sentence are in the line for every requirement, further down."""
    line = verdict.lines[index]
    grade = line.grade.value if line.grade is not None else None
    text = Text()
    text.append(line.mark, style=GRADE_STYLES.get(grade, "") or "bold green")
    if verdict.compared_with is not None:
        theirs = grade_of(verdict.card, line.key, verdict.compared_with)[0]
        text.append(f" {theirs.mark}", style=GRADE_STYLES.get(theirs.value, "") or "bold green")
    text.append(f" {card_text(verdict.card.chip_label(line.key))} → {card_text(line.term)}")
    return text


def verdict_text(verdict: Verdict) -> Text:
    """A Verdict (workloads.verifier) in plain words; the verifier decides, this only lays it out.

    Every piece of card text goes in as plain Text (never markup) with control characters dropped,
    so a card titled "[/red] [beta] \\x1b[2J" shows exactly those characters, minus the escape.
    """
    from workloads.verifier import decided_by

    card = verdict.card
    placed = ENGINE_TITLES.get(verdict.placed_on, verdict.placed_on)
    recommended = ENGINE_TITLES.get(verdict.recommended, verdict.recommended)
    badge, badge_style = BADGES[stamp_of(verdict)]
    text = Text()
    text.append(badge, style=badge_style)
    text.append(f" {card_text(card.letter)} on {placed}\n", style="bold")
    if not verdict.correct:
        text.append(f"recommended: {recommended}\n", style="bold")
    deciding = [i for i, ln in enumerate(verdict.lines) if ln.deciding]
    if deciding and verdict.compared_with is not None:
        here, there = (SHORT_NAMES.get(e, e) for e in (verdict.placed_on, verdict.compared_with))
        text.append(f"Decided by (on {here}, on {there}):\n", style="bold underline")
        for i in deciding[:DECIDING_SHOWN]:
            text.append_text(_short_reason(verdict, i))
            text.append("\n")
        if len(deciding) > DECIDING_SHOWN:
            text.append(f"+ {len(deciding) - DECIDING_SHOWN} more deciding, below\n", style="italic")
    else:
        text.append(f"{decided_by(verdict)}\n", style="italic")
    text.append(f"{card_text(card.title)} — every requirement:\n", style="bold underline")
    for line in verdict.lines:
        # line.text already reads "✓ label → term (scene NN): how"; the colour repeats the grade.
        grade = line.grade.value if line.grade is not None else None
        text.append(f"{card_text(line.text)}\n", style=GRADE_STYLES.get(grade, ""))
    for warning in verdict.warnings:
        text.append(f"size warning: {warning}\n", style="yellow")
    if verdict.evidence:
        text.append("Evidence from running it:\n", style="bold underline")
        for item in verdict.evidence:
            text.append(f"• {card_text(item)}\n")
    text.rstrip()
    return text


class VerifierPanel(VerticalScroll, can_focus=False):
    """Shows what the verifier said; a fresh verdict flashes green (best fit) or red (not)."""

    FLASH_SECONDS = 0.8

    def compose(self):
        yield Static(
            "Drag a card onto an engine zone — or focus it and press 1, 2 or 3 — "
            "and the verifier judges the placement here: ✓ serves, ◒ limited, ✗ cannot. "
            "Click a placed card (or ⏎ on it) to see its verdict again.",
            id="verdict",
        )

    def on_mount(self) -> None:
        self.border_title = "Verifier"

    @property
    def verdict_widget(self) -> Static:
        return self.query_one("#verdict", Static)

    def show_pending(self, letter: str, engine: str) -> None:
        self.verdict_widget.update(
            Text(f"Verifying card {letter} on {ENGINE_TITLES.get(engine, engine)}… (running it on the engine)", style="italic")
        )

    def show_verdict(self, verdict: Verdict) -> None:
        """Show `verdict` from its top, flashing `-best-fit` (green) or `-wrong-fit` (red)."""
        self.verdict_widget.update(verdict_text(verdict))
        self.scroll_home(animate=False)
        self.set_class(verdict.correct, "-best-fit")
        self.set_class(not verdict.correct, "-wrong-fit")
        self.add_class("-flash")
        self.set_timer(self.FLASH_SECONDS, lambda: self.remove_class("-flash"))

    def show_message(self, message: str, style: str = "") -> None:
        self.verdict_widget.update(Text(message, style=style))
        self.remove_class("-best-fit", "-wrong-fit")
