"""Starting the Textual app (kept apart so the CLI only imports Textual when it needs it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workloads.cards import Card


def run_tui(screenshot: tuple[str, str] | None = None, keymap_file: str | None = None,
            shot: dict[str, Any] | None = None, cards: Sequence[Card] = ()) -> int:
    keymap = None
    if keymap_file:
        from app.keymap import load_keymap

        keymap = load_keymap(keymap_file)  # before the screen is taken: a bad file is one line on stderr
    if screenshot:
        from app.screenshot import Shot, parse_place, parse_size, write_screenshot

        o = shot or {}
        spec = Shot(
            screenshot[0],
            size=parse_size(o["shot_size"]) if o.get("shot_size") else (120, 40),
            theme=o.get("shot_theme"), workload=o.get("shot_workload"), scenario=o.get("shot_scenario"),
            day=o.get("shot_day"), at_day=o.get("shot_at_day"),
            place=parse_place(o["shot_place"]) if o.get("shot_place") else (),
        )
        return write_screenshot(spec, screenshot[1])
    from app.canvas_app import WorkflowCanvasApp

    app = WorkflowCanvasApp(keymap=keymap, cards=cards)
    app.run()
    return app.return_code or 0
