"""The design canvas (scene 12): place workload cards on engines and hear the verifier's verdict.

Cards come from workloads.cards, the verdict from workloads.verifier, the recommendation from
workloads.choose; this screen only arranges them. Domain modules are imported in workers after
the first frame, so the app opens fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, Static

from engines.names import ENGINES

from app.messages import OpenRun
from app.widgets.card import CardWidget, plain, terminal_safe
from app.screens.guarded import GuardedScreen
from app.widgets.footer import Footer
from app.widgets.verifier_panel import VerifierPanel
from app.widgets.weights import WeightsTable
from app.widgets.zone import EngineZone

if TYPE_CHECKING:
    from workloads.cards import Card
    from workloads.verifier import Verdict

ENGINE_SHORT = {"replay": "replay", "dag": "DAG", "statemachine": "SM"}


class DeckNote(Static):
    """The deck's "Loading the deck…" note (or why it could not load). It is removed the moment the
    cards arrive, so a press on it at start-up is a press on a widget being replaced: Textual's
    selection code would read its (by then missing) parent. Its words are not worth selecting."""

    ALLOW_SELECT = False


class CanvasScreen(GuardedScreen):
    """Deck on the left, three engine zones on the right, the verifier below them."""

    CSS_PATH = Path(__file__).with_name("canvas.tcss")  # absolute: subclasses live elsewhere
    BINDINGS = [
        Binding("w", "focus_weights", "Weights", id="canvas.weights", show=False, tooltip="Focus the requirement-weight control"),
        Binding("d", "focus_deck", "Deck", id="canvas.deck", show=False, tooltip="Focus the first card on the deck"),
    ]

    class CardsLoaded(Message):
        def __init__(self, cards: list[Card], weights: dict[str, float], labels: dict[str, str], problem: str = "") -> None:
            super().__init__()
            self.cards = cards
            self.weights = weights
            self.labels = labels
            self.problem = problem

    class VerdictReady(Message):
        def __init__(self, seq: int, verdict: Verdict | None = None, problem: str = "") -> None:
            super().__init__()
            self.seq = seq
            self.verdict = verdict
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, Card] = {}
        self.placement: dict[str, str] = {}
        self.weights: dict[str, float] = {}
        self.selected: str | None = None
        self._verify_seq = 0
        self._verifying = False
        self._next_verify: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Horizontal(id="canvas-body"):
            with Vertical(id="left"):
                with EngineZone("deck"):
                    yield DeckNote("Loading the deck…", id="deck-note")
                with Vertical(id="weights-box"):
                    yield Static("", id="recommendation")
                    # The weights table (a DataTable) is mounted with the cards, after the first
                    # frame: its styles cost more than the rest of the canvas.
            with Vertical(id="right"):
                with Horizontal(id="zones"):
                    for engine in ENGINES:
                        yield EngineZone(engine)
                yield VerifierPanel(id="verifier")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#weights-box").border_title = "Requirement weights"
        # Only after the first frame (the app calls first_frame_shown): importing pydantic and
        # reading the cards in a thread meanwhile would fight the first paint for the GIL.
        if getattr(self.app, "first_frame", True):
            self.load_cards()

    def first_frame_shown(self) -> None:
        if not self.cards:
            self.load_cards()

    # ---- loading (a thread: pydantic and the card files are read after the first frame)
    @work(thread=True, exclusive=True, group="canvas-load")
    def load_cards(self) -> None:
        from engines.errors import WorkflowCanvasError
        from workloads.requirements import catalogue
        from workloads.cards import bundled_cards
        from workloads.choose import default_weights

        try:
            cards = bundled_cards()
            defaults = default_weights()
        except WorkflowCanvasError as exc:  # a broken card or scene file: say which, keep the app up
            self.post_message(self.CardsLoaded([], {}, {}, str(exc)))
            return
        keys = [*catalogue(), *[k for k in defaults if k not in catalogue()]]
        weights = {key: float(defaults.get(key, 1.0)) for key in keys}
        labels = {key: key.replace("_", " ") for key in keys}  # short and distinct: two chips share the term "DAG scheduler"
        self.post_message(self.CardsLoaded(cards, weights, labels))

    @on(CardsLoaded)
    async def show_cards(self, event: CardsLoaded) -> None:
        deck = self.query_one("#zone-deck", EngineZone)
        note = self.query_one("#deck-note", DeckNote)
        if event.problem and not event.cards:
            note.update(plain(event.problem))  # it quotes the broken file: text, not markup
            return
        await note.remove()
        self.cards = {card.letter: card for card in event.cards}
        self.placement = {letter: "deck" for letter in self.cards}
        await deck.mount_all(CardWidget(card) for card in event.cards)
        self.weights = event.weights
        table = WeightsTable(id="weights")
        await self.query_one("#weights-box").mount(table)
        table.load(event.weights, event.labels)
        if event.cards:
            first = deck.query(CardWidget).first()
            if self.focused is None:
                first.focus()
            self.select(first.letter)

    # ---- selection and recommendation
    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, CardWidget):
            self.select(event.widget.letter)

    def select(self, letter: str) -> None:
        self.selected = letter
        self.refresh_recommendation()

    def refresh_recommendation(self) -> None:
        label = self.query_one("#recommendation", Static)
        card = self.cards.get(self.selected or "")
        if card is None or not self.weights:
            return
        from workloads.choose import MODEL_TITLES, choose_model

        choice = choose_model(card, self.weights)
        text = Text.assemble(
            (terminal_safe(card.letter), "bold reverse"),
            " → ",
            (MODEL_TITLES.get(choice.model, choice.model), "bold"),
            "\n",
            "  ".join(f"{ENGINE_SHORT.get(m, m)} {s:g}" for m, s in choice.scores.items()),
        )
        label.update(text)

    @on(WeightsTable.Changed)
    def weights_changed(self, event: WeightsTable.Changed) -> None:
        self.weights = event.weights
        self.refresh_recommendation()

    # ---- placing
    @on(CardWidget.Dropped)
    async def place_card(self, event: CardWidget.Dropped) -> None:
        event.stop()
        letter, zone = event.card.letter, event.zone
        # Act on the card as it is now: a second key press can reach the screen from a card this
        # handler has just replaced (its message was already queued); moving that stale widget
        # would mount a second #card-X (DuplicateIds, found by the monkey test).
        widget = next(iter(self.query(f"#card-{letter}").results(CardWidget)), None)
        if widget is None:
            return
        if self.placement.get(letter) != zone:
            self.placement[letter] = zone
            # A removed widget can't be re-mounted, so a fresh one goes into the zone. Let go of focus
            # first: removing the focused card would hand focus to its neighbour on the deck and
            # scroll the deck to it, or not, depending on how busy the machine is.
            self.set_focus(None, scroll_visible=False)
            await widget.remove()
            fresh = CardWidget(widget.card, compact=zone != "deck")
            await self.query_one(f"#zone-{zone}", EngineZone).mount(fresh)
            fresh.focus()
            fresh.scroll_visible(animate=False)
        if zone == "deck":
            return
        self.select(letter)
        self.query_one(VerifierPanel).show_pending(letter, zone)
        self._verify_seq += 1
        # One verification at a time (each runs the engines); only the latest placement waits.
        self._next_verify = (self._verify_seq, self.cards[letter], zone, dict(self.weights))
        if not self._verifying:
            self._start_next_verify()

    def _start_next_verify(self) -> None:
        request, self._next_verify = self._next_verify, None
        self._verifying = request is not None
        if request is not None:
            self.verify(*request)

    @work(thread=True, group="verify")
    def verify(self, seq: int, card: Card, engine: str, weights: dict[str, float]) -> None:
        """The verifier runs the workload on the engine for its evidence: keep it off the UI thread."""
        from workloads.verifier import verify

        try:
            verdict = verify(card, engine, weights or None)
        except Exception as exc:  # a broken workload must not take the canvas down
            self.post_message(self.VerdictReady(seq, problem=f"The verifier failed: {type(exc).__name__}: {exc}"))
            return
        self.post_message(self.VerdictReady(seq, verdict))

    @on(VerdictReady)
    def show_verdict(self, event: VerdictReady) -> None:
        self._start_next_verify()
        if event.seq != self._verify_seq:
            return  # a newer placement is being judged
        panel = self.query_one(VerifierPanel)
        if event.verdict is None:
            panel.show_message(event.problem, style="bold red")
        else:
            panel.show_verdict(event.verdict)

    # ---- run
    @on(CardWidget.RunRequested)
    async def run_card(self, event: CardWidget.RunRequested) -> None:
        card = event.card.card
        workload = getattr(card, "workload", None)
        if not workload:
            self.notify(f"Card {terminal_safe(card.letter)} has no runnable workload yet.", severity="warning",
                        markup=False)
            return
        self.post_message(OpenRun(workload, "happy"))

    # ---- keys
    def action_focus_weights(self) -> None:
        for table in self.query(WeightsTable):
            table.focus()

    def action_focus_deck(self) -> None:
        cards = self.query(CardWidget)
        if cards:
            cards.first().focus()
