"""`--screenshot SCREEN FILE.svg`: an SVG of a screen for slides, after its data has loaded."""

from __future__ import annotations

import asyncio
from pathlib import Path

#: Screen name on the command line -> the app's mode.
SCREENS = {"canvas": "canvas", "run": "run", "history": "history", "lesson": "lessons"}


async def shoot(screen: str, size: tuple[int, int] = (120, 40), theme: str | None = None) -> str:
    """Open the app headless on `screen`, wait for its workers, and return the SVG."""
    from app.canvas_app import WorkflowCanvasApp

    app = WorkflowCanvasApp(theme=theme)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if SCREENS[screen] != "canvas":
            await app.action_switch_mode(SCREENS[screen])
            await settle(pilot)
        if screen == "run":
            app.screen.action_to_end()  # type: ignore[attr-defined]
            await settle(pilot)
        app.clear_notifications()
        await pilot.pause()
        return app.export_screenshot(title=f"Workflow Canvas — {screen}")


async def settle(pilot) -> None:
    """Until no worker runs and the messages they posted are handled."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def write_screenshot(screen: str, path: str, size: tuple[int, int] = (120, 40)) -> int:
    from app.cli.common import CliError

    if screen not in SCREENS:
        raise CliError(f"unknown screen {screen!r}; choose one of: {', '.join(SCREENS)}")
    if not path.lower().endswith(".svg"):
        raise CliError(f"{path}: the screenshot is an SVG, so the file name must end in .svg")
    target = Path(path)
    if not target.parent.exists():
        raise CliError(f"{path}: folder {target.parent} does not exist")
    target.write_text(asyncio.run(shoot(screen, size)), encoding="utf-8")
    print(f"wrote {path}")
    return 0
