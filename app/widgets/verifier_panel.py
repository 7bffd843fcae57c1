"""The verifier panel: the verdict on the last placement, one graded line per chip, and the evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from workloads.cards import card_text

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


def verdict_text(verdict: Verdict) -> Text:
    """A Verdict (workloads.verifier) in plain words; the verifier decides, this only lays it out.

    Every piece of card text goes in as plain Text (never markup) with control characters dropped,
    so a card titled "[/red] [beta] \\x1b[2J" shows exactly those characters, minus the escape.
    """
    from workloads.verifier import decided_by

    card = verdict.card
    placed = ENGINE_TITLES.get(verdict.placed_on, verdict.placed_on)
    recommended = ENGINE_TITLES.get(verdict.recommended, verdict.recommended)
    title = card_text(card.title)
    text = Text()
    if verdict.correct:
        text.append("✓ RIGHT FIT ", style="bold reverse green")
        text.append(f" {card.letter} · {title} on {placed}\n", style="bold")
    else:
        text.append("✗ NOT THE BEST FIT ", style="bold reverse red")
        text.append(f" {card.letter} · {title} on {placed}", style="bold")
        text.append(f" — recommended: {recommended}\n", style="bold")
    text.append(f"{decided_by(verdict)}\n", style="italic")
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
    """Shows what the verifier said; `flash` briefly highlights a fresh verdict."""

    def compose(self):
        yield Static(
            "Drag a card onto an engine zone — or focus it and press 1, 2 or 3 — "
            "and the verifier judges the placement here: ✓ serves, ◒ limited, ✗ cannot.",
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
        self.verdict_widget.update(verdict_text(verdict))
        self.scroll_home(animate=False)
        self.add_class("-flash")
        self.set_timer(0.8, lambda: self.remove_class("-flash"))

    def show_message(self, message: str, style: str = "") -> None:
        self.verdict_widget.update(Text(message, style=style))
