"""A drop target on the canvas: the deck or one of the three engine zones."""

from __future__ import annotations

from textual.containers import VerticalScroll

#: Zone name -> the title the course uses for it.
ZONE_TITLES = {
    "deck": "Deck",
    "replay": "1 replay",
    "dag": "2 DAG scheduler",
    "statemachine": "3 state machine",
}


#: Shorter titles, tried in turn when a zone is too narrow for the one before (80 and 76 columns).
SHORT_TITLES = {"dag": ("2 DAG",), "statemachine": ("3 st-machine", "3 SM")}


class EngineZone(VerticalScroll, can_focus=False):
    """Holds cards; `zone` is "deck" or an engine name. `-drop-target` lights it while hovered."""

    def __init__(self, zone: str) -> None:
        super().__init__(id=f"zone-{zone}", classes="zone")
        self.zone = zone
        self.border_title = ZONE_TITLES[zone]

    def on_resize(self) -> None:
        # A narrow zone (80 columns, a projector's 76) gets a short title so the border does not cut
        # it: the border keeps a corner, a rule and a space each side of the title.
        room = self.outer_size.width - 6
        titles = (ZONE_TITLES[self.zone], *SHORT_TITLES.get(self.zone, ()))
        self.border_title = next((t for t in titles if len(t) <= room), titles[-1])
