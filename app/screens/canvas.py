"""The design canvas (scene 12): place workload cards on engines and hear the verifier's verdict.

Cards come from workloads.cards, the verdict from workloads.verifier, the recommendation from
workloads.choose; this screen only arranges them. Domain modules are imported in workers after
the first frame, so the app opens fast.

Feedback a student can read at a glance: every placed card wears the verifier's stamp (✓ on its
best model, ◒ works within limits but is not the best, ✗ not the best), the verifier panel's
border keeps the score ("4 of 6 placed on their best model"), a click or ⏎ on a placed card
brings its verdict back, and a fresh verdict flashes green for the best fit, red for any other.
A user's own card file comes in with `workflow-canvas --card my.toml` or the `o` key.
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
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Header, Input, Static

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

    #: (engine, weights as sorted pairs): what a cached verdict was judged under.
    JudgedUnder = tuple[str, tuple[tuple[str, float], ...]]

ENGINE_SHORT = {"replay": "replay", "dag": "DAG", "statemachine": "SM"}


class DeckNote(Static):
    """The deck's "Loading the deck…" note (or why it could not load). It is removed the moment the
    cards arrive, so a press on it at start-up is a press on a widget being replaced: Textual's
    selection code would read its (by then missing) parent. Its words are not worth selecting."""

    ALLOW_SELECT = False


class OpenCardScreen(ModalScreen["Card | None"]):
    """"Open card…": a path to a card file; ⏎ loads it through workloads.cards (the CLI's loader,
    so the same one-line errors), Escape leaves without loading."""

    DEFAULT_CSS = """
    OpenCardScreen { align: center middle; }
    OpenCardScreen #open-card { width: 90%; max-width: 72; height: auto; border: round $accent; padding: 0 1;
                                background: $panel; }
    OpenCardScreen #open-card-problem { color: $error; height: auto; }
    """

    def __init__(self, taken: dict[str, str]) -> None:
        super().__init__()
        #: Letter -> card id already on the canvas: a new card must not take another card's letter.
        self.taken = taken

    def compose(self) -> ComposeResult:
        with Vertical(id="open-card"):
            yield Static("Add your own card to the deck: the path of its TOML file (⏎ opens, Escape leaves).")
            yield Input(placeholder="e.g. ~/my-card.toml", id="open-card-path")
            yield Static("", id="open-card-problem")

    def on_mount(self) -> None:
        self.query_one("#open-card").border_title = "Open card…"

    @on(Input.Submitted)
    def open_card(self, event: Input.Submitted) -> None:
        from workloads.cards import CardError, load_card

        text = event.value.strip()
        problem = self.query_one("#open-card-problem", Static)
        if not text:
            problem.update("Type the path of a card file, or press Escape.")
            return
        try:
            card = load_card(Path(text).expanduser())
        except CardError as exc:  # the file, the key and the problem in one line; the deck is untouched
            problem.update(plain(str(exc)))
            return
        # The same id and letter replace the card (its file was edited); another card's letter or id is refused,
        # as `workflow-canvas --card` refuses it.
        owner = self.taken.get(card.letter)
        if owner is not None and owner != card.id:
            problem.update(plain(f"{Path(text).name}: letter: {card.letter!r} is already used by card {owner!r}; "
                                 "give your card another letter"))
            return
        if owner is None and card.id in self.taken.values():
            problem.update(plain(f"{Path(text).name}: id: {card.id!r} is already the id of another card; "
                                 "give your card its own id"))
            return
        self.dismiss(card)

    def key_escape(self) -> None:
        """Escape always leaves (not a keymap binding: no key but Escape should mean "leave")."""
        self.dismiss(None)


class CanvasScreen(GuardedScreen):
    """Deck on the left, three engine zones on the right, the verifier below them."""

    CSS_PATH = Path(__file__).with_name("canvas.tcss")  # absolute: subclasses live elsewhere
    BINDINGS = [
        Binding("w", "focus_weights", "Weights", id="canvas.weights", show=False, tooltip="Focus the requirement-weight control"),
        Binding("d", "focus_deck", "Deck", id="canvas.deck", show=False, tooltip="Focus the first card on the deck"),
        Binding("o", "open_card", "Open card…", id="canvas.open_card", show=False,
                tooltip="Add your own card (a TOML file) to the deck"),
    ]

    #: (placed on their best model, placed): the score on the verifier's border.
    score: reactive[tuple[int, int]] = reactive((0, 0), init=False)

    class CardsLoaded(Message):
        def __init__(self, cards: list[Card], weights: dict[str, float], labels: dict[str, str], problem: str = "") -> None:
            super().__init__()
            self.cards = cards
            self.weights = weights
            self.labels = labels
            self.problem = problem

    class VerdictReady(Message):
        def __init__(self, seq: int, verdict: Verdict | None = None, problem: str = "",
                     weights: dict[str, float] | None = None) -> None:
            super().__init__()
            self.seq = seq
            self.verdict = verdict
            self.problem = problem
            #: The weights the verdict was judged under.
            self.weights = weights or {}

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, Card] = {}
        self.placement: dict[str, str] = {}
        self.weights: dict[str, float] = {}
        self.selected: str | None = None
        self._verify_seq = 0
        self._verifying = False
        self._next_verify: tuple | None = None
        #: Letter -> the stamp its placement earned (✓ ◒ ✗), for placed cards only.
        self.stamps: dict[str, str] = {}
        #: Letter -> the last full verdict (with evidence) and what it was judged under.
        self.verdicts: dict[str, tuple[JudgedUnder, Verdict]] = {}

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
        self.watch_score()
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
        problem = ""
        for card in getattr(self.app, "user_cards", ()):  # `workflow-canvas --card my.toml`, checked by the CLI
            clash = next((c for c in cards if card.letter == c.letter or card.id == c.id), None)
            if clash is None:
                cards.append(card)
            else:  # the CLI refuses this; a card handed over otherwise is refused here, in the same words
                name = card.path.name if card.path else card.id
                problem = f"{name}: letter: {card.letter!r} is already used by card {clash.id!r}"
        keys = [*catalogue(), *[k for k in defaults if k not in catalogue()]]
        weights = {key: float(defaults.get(key, 1.0)) for key in keys}
        labels = {key: key.replace("_", " ") for key in keys}  # short and distinct: two chips share the term "DAG scheduler"
        self.post_message(self.CardsLoaded(cards, weights, labels, problem))

    @on(CardsLoaded)
    async def show_cards(self, event: CardsLoaded) -> None:
        deck = self.query_one("#zone-deck", EngineZone)
        note = self.query_one("#deck-note", DeckNote)
        if event.problem and not event.cards:
            note.update(plain(event.problem))  # it quotes the broken file: text, not markup
            return
        await note.remove()
        if event.problem:
            self.notify(terminal_safe(event.problem), severity="error", markup=False)
        self.cards = {card.letter: card for card in event.cards}
        self.placement = {letter: "deck" for letter in self.cards}
        await deck.mount_all(CardWidget(card) for card in event.cards)
        self.weights = event.weights
        table = WeightsTable(id="weights")
        await self.query_one("#weights-box").mount(table)
        table.load(event.weights, event.labels)
        if event.cards:
            # the card a user brought (`--card`) is the one they came to place: it starts focused
            user_cards: tuple[Card, ...] = tuple(getattr(self.app, "user_cards", ()))
            mine = [c for c in user_cards if self.cards.get(c.letter) is c]
            first = self.query_one(f"#card-{mine[0].letter}", CardWidget) if mine else deck.query(CardWidget).first()
            if mine or self.focused is None:
                first.focus()
                # after the deck's layout: a card mounted this frame has no region to scroll to yet,
                # and the cards' wrapped heights settle over the next frames
                self.call_after_refresh(first.scroll_visible, animate=False)
                if mine:  # a user's card is last on the deck: bring it into view once the heights are final
                    self.set_timer(0.3, lambda: first.scroll_visible(animate=False) if first.is_attached else None)
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
        for letter in self.stamps:  # the best model moves with the weights, and so do the stamps
            self._stamp(letter)
        self._count_score()

    # ---- stamps and score
    def _stamp(self, letter: str) -> None:
        """Judge the placed card as the verifier does, without running it (a millisecond), and
        stamp it; the full verdict with its evidence follows from a worker."""
        from workloads.verifier import verify

        from app.widgets.verifier_panel import stamp_of

        zone = self.placement.get(letter, "deck")
        widget = next(iter(self.query(f"#card-{letter}").results(CardWidget)), None)
        if zone == "deck":
            self.stamps.pop(letter, None)
            stamp = ""
        else:
            try:
                stamp = stamp_of(verify(self.cards[letter], zone, self.weights or None, evidence=False))
            except Exception:  # a broken card must not take the canvas down; the worker's verdict says why
                stamp = "…"
            self.stamps[letter] = stamp
        if widget is not None:
            widget.stamp = stamp

    def _count_score(self) -> None:
        self.score = (sum(1 for s in self.stamps.values() if s == "✓"), len(self.stamps))

    @property
    def score_text(self) -> str:
        best, placed = self.score
        if not placed:
            return "no card placed yet"
        return f"{best} of {placed} placed on their best model"

    def watch_score(self) -> None:
        for panel in self.query(VerifierPanel):
            panel.border_subtitle = self.score_text

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
        self._stamp(letter)
        self._count_score()
        if zone == "deck":
            return
        self.select(letter)
        self._judge(letter, zone)

    def _judged_under(self, zone: str) -> JudgedUnder:
        return zone, tuple(sorted(self.weights.items()))

    def _judge(self, letter: str, zone: str) -> None:
        """Ask the verifier (in a worker: it runs the engines) for the full verdict on a placement."""
        self.query_one(VerifierPanel).show_pending(letter, zone)
        self._verify_seq += 1
        # One verification at a time (each runs the engines); only the latest placement waits.
        self._next_verify = (self._verify_seq, self.cards[letter], zone, dict(self.weights))
        if not self._verifying:
            self._start_next_verify()

    @on(CardWidget.VerdictRequested)
    def recall_verdict(self, event: CardWidget.VerdictRequested) -> None:
        """A click or ⏎ on a placed card: its verdict again (from the cache while the placement and
        the weights are what it was judged under, else judged afresh)."""
        event.stop()
        letter = event.card.letter
        zone = self.placement.get(letter, "deck")
        if zone == "deck":
            return
        self.select(letter)
        cached = self.verdicts.get(letter)
        if cached is not None and cached[0] == self._judged_under(zone):
            self._verify_seq += 1  # a verdict still on its way must not replace this one
            self.query_one(VerifierPanel).show_verdict(cached[1])
        else:
            self._judge(letter, zone)

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
        self.post_message(self.VerdictReady(seq, verdict, weights=weights))

    @on(VerdictReady)
    def show_verdict(self, event: VerdictReady) -> None:
        self._start_next_verify()
        verdict = event.verdict
        if verdict is not None and self.placement.get(verdict.card.letter) == verdict.placed_on:
            # kept even when a newer placement is judged meanwhile: a click brings it back
            self.verdicts[verdict.card.letter] = ((verdict.placed_on, tuple(sorted(event.weights.items()))), verdict)
        if event.seq != self._verify_seq:
            return  # a newer placement is being judged
        panel = self.query_one(VerifierPanel)
        if verdict is None:
            panel.show_message(event.problem, style="bold red")
        else:
            panel.show_verdict(verdict)

    # ---- run
    @on(CardWidget.RunRequested)
    async def run_card(self, event: CardWidget.RunRequested) -> None:
        card = event.card.card
        if not card.workload:
            self.notify(f"Card {terminal_safe(card.letter)} has no runnable workload: the verifier judges it by its chips alone.",
                        severity="warning", markup=False)
            return
        if card.scenarios:
            scenario = card.scenarios[0]  # the card's own: expense approval has no "happy"
        else:
            from workloads.runner import scenarios

            scenario = scenarios(card.workload)[0]
        self.post_message(OpenRun(card.workload, scenario))

    # ---- keys
    def action_focus_weights(self) -> None:
        for table in self.query(WeightsTable):
            table.focus()

    def action_focus_deck(self) -> None:
        cards = self.query(CardWidget)
        if cards:
            cards.first().focus()

    # ---- a user's own card
    def action_open_card(self) -> None:
        if not self.cards:
            return  # the deck is still loading
        self.app.push_screen(OpenCardScreen({c.letter: c.id for c in self.cards.values()}), self._card_opened)

    async def _card_opened(self, card: Card | None) -> None:
        if card is not None:
            await self.add_card(card)

    async def add_card(self, card: Card) -> None:
        """Put `card` on the deck (a card with the same id and letter is replaced: the user edited
        the file) and focus it."""
        old = next(iter(self.query(f"#card-{card.letter}").results(CardWidget)), None)
        if old is not None:
            self.set_focus(None, scroll_visible=False)
            await old.remove()
        self.cards[card.letter] = card
        self.placement[card.letter] = "deck"
        self.verdicts.pop(card.letter, None)
        self.stamps.pop(card.letter, None)
        self._count_score()
        fresh = CardWidget(card)
        await self.query_one("#zone-deck", EngineZone).mount(fresh)
        fresh.focus()
        fresh.scroll_visible(animate=False)
        self.notify(f"Card {terminal_safe(card.letter)} ({terminal_safe(card.title)}) is on the deck.", markup=False, timeout=3)

