"""SVG snapshots of the canvas with all six cards placed, at 80×24 and at a projector's 76×21
(fontsize 28 at 1280×720): every card stamped, the score on the verifier's border, and the last
verdict (card A on the DAG, a wrong fit) with its headline and deciding reasons above the fold.

Regenerate after an intended change of the look (or of the cards, the verifier's wording):
    .venv/bin/python -m pytest tests/app/test_canvas_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from app.canvas_app import WorkflowCanvasApp

from .conftest import settle
from .test_snapshots import quiet

#: The order of placement; A last, so the verdict shown is a wrong fit with its deciding reasons.
PLACEMENTS = (("B", "2"), ("C", "3"), ("D", "1"), ("E", "3"), ("F", "1"), ("A", "2"))


async def place_all_six(pilot) -> None:
    await settle(pilot)
    for letter, key in PLACEMENTS:
        pilot.app.screen.query_one(f"#card-{letter}").focus()
        await pilot.press(key)
        await settle(pilot)
    await quiet(pilot)
    # the verdict flashes for 0.8 s; on a slow machine the picture could catch it or not
    pilot.app.screen.query_one("#verifier").remove_class("-flash")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (76, 21)], ids=["80x24", "76x21"])
def test_canvas_with_six_cards_placed(snap_compare, size):
    assert snap_compare(WorkflowCanvasApp(), terminal_size=size, run_before=place_all_six)
