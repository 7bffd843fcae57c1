"""A workload card: drag it with the mouse, or focus it and press 1/2/3 (0 = back to the deck).

Both paths post the same `CardWidget.Dropped` message, so one handler places a card. A placed card
is one line, stamped with the verifier's judgement (✓ on its best model, ◒ not the best but every
need served at least within a limit, ✗ not the best and some need it cannot serve); a click or ⏎
on it asks for its verdict again.
Pattern (Textual has no built-in drag and drop): mouse-down captures the mouse, the first move
mounts a ghost on the screen's top `drag` layer, mouse-up hit-tests the zones by region.
Positions come from absolute screen offsets, never from deltas (Pilot always sends zero deltas).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Offset
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from engines.inputs import printable

if TYPE_CHECKING:
    from workloads.cards import Card
    from textual.screen import Screen

    from app.widgets.zone import EngineZone

#: Keyboard placement: key -> zone name.
KEY_TO_ZONE = {"1": "replay", "2": "dag", "3": "statemachine", "0": "deck"}

#: A placed card's stamp -> its style: ✓ best model, ◒ serves within limits (not the best), ✗ not the best.
STAMP_STYLES = {"✓": "bold green", "◒": "bold yellow", "✗": "bold red", "…": "dim"}

#: An ESC in a card title would reach the terminal as a real escape sequence (clear the screen,
#: move the cursor, retitle the window): `text` from a card, ASL or scene file with its control characters dropped (one definition, engines.inputs).
terminal_safe = printable


def plain(text: str, style: str = "") -> Text:
    """File text shown as text: never read as Rich markup ('[/red]' stays '[/red]'), control characters dropped."""
    return Text(terminal_safe(text), style=style)


def chip_text(card: Card, width: int = 0) -> Text:
    """✓ chips by their labels, packed whole into lines of `width` cells (a chip never breaks
    across lines); the ○ chips (absent) as a count, so the deck stays readable at 80×24 — the
    verifier lists every ○ chip with its reason."""
    text = Text()
    used = 0
    for key, present in card.chips.items():
        if not present:
            continue
        chip = f"✓{terminal_safe(card.chip_label(key))}"
        if used and width and used + 2 + len(chip) > width:
            text.append("\n")
            used = 0
        elif used:
            text.append("  ")
            used += 2
        text.append("✓", style="bold green")
        text.append(chip[1:])
        used += len(chip)
    absent = sum(1 for present in card.chips.values() if not present)
    if absent:
        text.append(f"\n○ {absent} not needed", style="dim")
    return text


class DragGhost(Static):
    """The floating copy of a card that follows the pointer on the `drag` layer."""

    DEFAULT_CSS = """
    DragGhost {
        layer: drag;
        position: absolute;
        width: 24;
        height: 3;
        padding: 0 1;
        background: $accent 50%;
        border: heavy $accent;
        color: $text;
    }
    """


class CardWidget(Static, can_focus=True):
    """One workload card (letter, title, chips). `card` is a workloads.cards.Card."""

    ALLOW_SELECT = False  # otherwise a mouse-down starts a text selection instead of a drag
    BINDINGS = [
        Binding("1", "send('1')", "→ replay", id="card.to_replay", tooltip="Place this card on the code-as-workflow replay zone"),
        Binding("2", "send('2')", "→ DAG", id="card.to_dag", tooltip="Place this card on the DAG scheduler zone"),
        Binding("3", "send('3')", "→ state machine", id="card.to_statemachine", tooltip="Place this card on the state machine zone"),
        Binding("0", "send('0')", "→ deck", id="card.to_deck", tooltip="Put this card back on the deck"),
        # On a placed card ⏎ brings its verdict back (r runs it); on the deck ⏎ runs it. Textual tries
        # a key's bindings in order and skips one whose check_action says False.
        Binding("enter", "verdict", "Verdict", id="card.verdict", tooltip="Show this placed card's verdict again"),
        Binding("enter,r", "run", "Run", id="card.run",
                tooltip="Open the side-by-side run of this card's workload (its first scenario)"),
    ]

    #: The verifier's stamp on a placed card ("✓", "◒", "✗"; "…" while judging; "" on the deck).
    stamp: reactive[str] = reactive("")

    class Dropped(Message):
        """The card asks to be placed in zone `zone` (posted by the mouse and by the keys)."""

        def __init__(self, card: CardWidget, zone: str) -> None:
            super().__init__()
            self.card = card
            self.zone = zone

        @property
        def control(self) -> CardWidget:
            return self.card

    class VerdictRequested(Message):
        """The user clicked (or pressed ⏎ on) a placed card: show its verdict again."""

        def __init__(self, card: CardWidget) -> None:
            super().__init__()
            self.card = card

        @property
        def control(self) -> CardWidget:
            return self.card

    class RunRequested(Message):
        """The user wants the side-by-side run of this card's workload."""

        def __init__(self, card: CardWidget) -> None:
            super().__init__()
            self.card = card

        @property
        def control(self) -> CardWidget:
            return self.card

    def __init__(self, card: Card, *, compact: bool = False) -> None:
        super().__init__(id=f"card-{card.letter}", classes="card -placed" if compact else "card")
        self.card = card
        self.compact = compact
        if compact:  # the one-line form shortens the title: the whole of it is a hover away
            self.tooltip = f"{terminal_safe(card.letter)} · {terminal_safe(card.title)}"
        self._press_at: Offset | None = None
        self._grab = Offset(0, 0)
        self._ghost: DragGhost | None = None

    @property
    def letter(self) -> str:
        return self.card.letter

    def render(self) -> Text:
        if self.compact:
            return Text.assemble((self.stamp or " ", STAMP_STYLES.get(self.stamp, "")), " ",
                                 (f"{terminal_safe(self.card.letter)} ", "bold reverse"), " ",
                                 plain(short_title(self.card.title), "bold"), no_wrap=True, overflow="ellipsis")
        title = Text.assemble((f"{terminal_safe(self.card.letter)} ", "bold reverse"), " ", plain(self.card.title, "bold"))
        return Text("\n").join([title, chip_text(self.card, self.content_region.width or self.size.width)])

    # keyboard path
    def action_send(self, key: str) -> None:
        self.post_message(self.Dropped(self, KEY_TO_ZONE[key]))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "verdict":
            return self.compact  # False on the deck: ⏎ falls through to Run
        return True

    def action_verdict(self) -> None:
        self.post_message(self.VerdictRequested(self))

    def action_run(self) -> None:
        self.post_message(self.RunRequested(self))

    # mouse path
    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        self._press_at = event.screen_offset
        self._grab = event.offset
        self.capture_mouse()
        event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        # Don't test event.button: Pilot.hover() sends button=0 while the card is held.
        if self._press_at is None:
            return
        if self._ghost is None and event.screen_offset != self._press_at:
            self._ghost = DragGhost(plain(f"{self.card.letter} · {self.card.title}"))
            self.screen.mount(self._ghost)
            self.add_class("-dragging")
        if self._ghost is not None:
            at = event.screen_offset - self._grab
            self._ghost.styles.offset = (at.x, at.y)
            target = zone_at(self.screen, event.screen_offset)
            for zone in self.screen.query(".zone"):
                zone.set_class(zone is target, "-drop-target")

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._press_at is None:
            return
        self.release_mouse()
        dragged = self._ghost is not None
        if self._ghost is not None:
            self._ghost.remove()
            self._ghost = None
        self._press_at = None
        self.remove_class("-dragging")
        self.screen.query(".zone").set_class(False, "-drop-target")
        if dragged and (zone := zone_at(self.screen, event.screen_offset)) is not None:
            self.post_message(self.Dropped(self, zone.zone))
        elif not dragged and self.compact:  # a click on a placed card: its verdict again
            self.post_message(self.VerdictRequested(self))
        event.stop()


def short_title(title: str) -> str:
    """A title up to its first parenthesis or colon: "Order fulfillment (30-day wait + cancel)" →
    "Order fulfillment", so a placed card's one line shows what the card is."""
    head = re.split(r"\s*[(:]", title, maxsplit=1)[0].strip()
    return head or title


def zone_at(screen: Screen, point: Offset) -> EngineZone | None:
    """The zone under `point`, by region: get_widget_at() would return the ghost or a card."""
    from app.widgets.zone import EngineZone

    for zone in screen.query(EngineZone):
        if zone.region.contains_point(point):
            return zone
    return None
