"""`--screenshot SCREEN FILE.svg`: an SVG of a screen for slides."""

from __future__ import annotations

import asyncio
from pathlib import Path

SCREENS = ("canvas",)


def write_screenshot(screen: str, path: str, size: tuple[int, int] = (120, 40)) -> int:
    from app.canvas_app import WorkflowCanvasApp
    from app.cli.common import CliError

    if screen not in SCREENS:
        raise CliError(f"unknown screen {screen!r}; choose one of: {', '.join(SCREENS)}")

    async def shoot() -> str:
        app = WorkflowCanvasApp()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            return app.export_screenshot()

    Path(path).write_text(asyncio.run(shoot()), encoding="utf-8")
    print(f"wrote {path}")
    return 0
