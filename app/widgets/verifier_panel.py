"""The verifier panel: the verdict on the last placement, one line per chip, and the evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from workloads.verifier import Verdict

ENGINE_TITLES = {
    "replay": "code-as-workflow replay",
    "dag": "DAG scheduler",
    "statemachine": "state machine",
}


def verdict_text(verdict: Verdict) -> Text:
    """A Verdict (workloads.verifier) in plain words; the verifier decides, this only lays it out."""
    card = verdict.card
    placed = ENGINE_TITLES.get(verdict.placed_on, verdict.placed_on)
    recommended = ENGINE_TITLES.get(verdict.recommended, verdict.recommended)
    text = Text()
    if verdict.correct:
        text.append("✓ RIGHT FIT ", style="bold reverse green")
        text.append(f" {card.letter} · {card.title} on {placed}\n", style="bold")
    else:
        text.append("✗ NOT THE BEST FIT ", style="bold reverse red")
        text.append(f" {card.letter} · {card.title} on {placed}", style="bold")
        text.append(f" — recommended: {recommended}\n", style="bold")
    for line in verdict.lines:
        # line.text already reads "✓ label → term (scene NN): how"; colour says if it fits.
        text.append(f"{line.text}\n", style="" if line.ok else "bold red")
    if verdict.evidence:
        text.append("Evidence from running it:\n", style="bold underline")
        for item in verdict.evidence:
            text.append(f"• {item}\n")
    return text.rstrip() or text


class VerifierPanel(VerticalScroll, can_focus=False):
    """Shows what the verifier said; `flash` briefly highlights a fresh verdict."""

    def compose(self):
        yield Static(
            "Drag a card onto an engine zone — or focus it and press 1, 2 or 3 — "
            "and the verifier judges the placement here.",
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
