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


SHORT_TITLES = {"dag": "2 DAG", "statemachine": "3 st-machine"}


class EngineZone(VerticalScroll, can_focus=False):
    """Holds cards; `zone` is "deck" or an engine name. `-drop-target` lights it while hovered."""

    def __init__(self, zone: str) -> None:
        super().__init__(id=f"zone-{zone}", classes="zone")
        self.zone = zone
        self.border_title = ZONE_TITLES[zone]

    def on_resize(self) -> None:
        # A narrow zone (80 columns) gets the short title so the border does not cut it.
        title = ZONE_TITLES[self.zone]
        self.border_title = title if len(title) + 4 <= self.size.width + 2 else SHORT_TITLES.get(self.zone, title)
