"""`--screenshot SCREEN FILE.svg`: an SVG of a screen for slides, after its data has loaded.

`run` takes the workload, the scenario, the day of its action and the virtual day to show
(`--workload order-1001 --scenario cancel --day 3 --at-day 10`); `canvas` takes placements
(`--place A=replay,B=dag`) so a slide shows placed cards with their verdicts. Every option is
checked before the app starts, so a bad one is one line naming it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

#: Screen name on the command line -> the app's mode.
SCREENS = {"canvas": "canvas", "run": "run", "history": "history", "lesson": "lessons"}
#: Terminal sizes a screenshot may have (Textual draws every cell: bounded like `serve`).
MIN_SIZE, MAX_SIZE = (40, 12), (400, 150)


@dataclass(frozen=True)
class Shot:
    """What to put on the slide."""

    screen: str
    size: tuple[int, int] = (120, 40)
    theme: str | None = None
    workload: str | None = None
    scenario: str | None = None
    day: float | None = None          # the day of the scenario's action (cancel on day 3)
    at_day: float | None = None       # the virtual day the run view shows
    place: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (card letter, engine)


def parse_size(text: str) -> tuple[int, int]:
    """`120x40` -> (120, 40), within MIN_SIZE..MAX_SIZE."""
    from app.cli.common import CliError

    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise CliError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 120x40")
    width, height = int(parts[0]), int(parts[1])
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise CliError(f"--size {text}: width must be {MIN_SIZE[0]}..{MAX_SIZE[0]} and height "
                       f"{MIN_SIZE[1]}..{MAX_SIZE[1]}")
    return width, height


def parse_place(text: str) -> tuple[tuple[str, str], ...]:
    """`A=replay,B=dag` -> (("A", "replay"), ("B", "dag")); engines checked here, cards later."""
    from app.cli.common import CliError
    from engines.names import ENGINES

    pairs = []
    for item in (p.strip() for p in text.split(",")):
        card, sep, engine = item.partition("=")
        if not sep or not card.strip() or not engine.strip():
            raise CliError(f"--place {text!r}: expected CARD=ENGINE[,CARD=ENGINE...], e.g. A=replay,B=dag")
        if engine.strip() not in ENGINES:
            raise CliError(f"--place {item}: unknown engine {engine.strip()!r}; choose one of: {', '.join(ENGINES)}")
        pairs.append((card.strip().upper(), engine.strip()))
    return tuple(pairs)


def check(shot: Shot) -> None:
    """Refuse a shot whose options do not fit its screen, before any app starts."""
    from app.cli.common import CliError

    if shot.screen not in SCREENS:
        raise CliError(f"unknown screen {shot.screen!r}; choose one of: {', '.join(SCREENS)}")
    run_only = {"--workload": shot.workload, "--scenario": shot.scenario, "--day": shot.day, "--at-day": shot.at_day}
    if shot.screen != "run":
        given = [name for name, value in run_only.items() if value is not None]
        if given:
            raise CliError(f"{', '.join(given)}: only for --screenshot run")
    if shot.place and shot.screen != "canvas":
        raise CliError("--place: only for --screenshot canvas")
    if shot.theme is not None:
        from app.themes import THEMES
        from textual.theme import BUILTIN_THEMES

        names = sorted({*BUILTIN_THEMES, *(t.name for t in THEMES)})
        if shot.theme not in names:
            raise CliError(f"--theme {shot.theme!r}: unknown theme; choose one of: {', '.join(names)}")
    if shot.screen == "run":
        from workloads.runner import scenarios

        workload = shot.workload or "order-1001"
        names = scenarios(workload)  # an unknown workload is a WorkflowCanvasError naming the choices
        if shot.scenario is not None and shot.scenario not in names:
            raise CliError(f"--scenario {shot.scenario!r}: {workload} has the scenarios {', '.join(names)}")
        if shot.day is not None and (shot.scenario or names[0]) in ("happy",):
            raise CliError("--day: the happy path has no action to put on a day")


async def shoot(screen: str | Shot, size: tuple[int, int] = (120, 40), theme: str | None = None) -> str:
    """Open the app headless on the shot's screen, wait for its workers, and return the SVG."""
    from app.canvas_app import WorkflowCanvasApp

    shot = screen if isinstance(screen, Shot) else Shot(screen, size, theme)
    app = WorkflowCanvasApp(theme=shot.theme)
    async with app.run_test(size=shot.size) as pilot:
        await settle(pilot)
        if shot.screen == "canvas" and shot.place:
            await _place(app, pilot, shot.place)
        if shot.screen == "run":
            await app.open_run(shot.workload or "order-1001", shot.scenario or "happy", shot.day)
            await settle(pilot)
            run_screen = app.screen
            if shot.at_day is None:
                run_screen.action_to_end()  # type: ignore[attr-defined]
            else:
                run_screen.seek(shot.at_day)  # type: ignore[attr-defined]
            await settle(pilot)
        elif SCREENS[shot.screen] != "canvas":
            await app.action_switch_mode(SCREENS[shot.screen])
            await settle(pilot)
        app.clear_notifications()
        await pilot.pause()
        return app.export_screenshot(title=f"Workflow Canvas — {shot.screen}")


async def _place(app, pilot, place: tuple[tuple[str, str], ...]) -> None:
    """Place each card as a user does from the keyboard: focus the card, press its zone's key."""
    from engines.names import ENGINES
    from textual.css.query import NoMatches

    from app.cli.common import CliError

    keys: dict[str, str] = {str(engine): str(i + 1) for i, engine in enumerate(ENGINES)}
    for card, engine in place:
        try:
            widget = app.screen.query_one(f"#card-{card}")
        except NoMatches:
            raise CliError(f"--place {card}={engine}: no card {card!r} on the canvas") from None
        widget.focus()
        await pilot.press(keys[engine])
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()
    for verifier in app.screen.query("#verifier"):
        verifier.remove_class("-flash")  # the verdict flashes for 0.8 s: a slide shows it at rest


async def settle(pilot) -> None:
    """Until no worker runs and the messages they posted are handled."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def write_screenshot(screen: str | Shot, path: str, size: tuple[int, int] = (120, 40)) -> int:
    from app.cli.common import CliError

    shot = screen if isinstance(screen, Shot) else Shot(screen, size)
    check(shot)
    if not path.lower().endswith(".svg"):
        raise CliError(f"{path}: the screenshot is an SVG, so the file name must end in .svg")
    target = Path(path)
    if not target.parent.exists():
        raise CliError(f"{path}: folder {target.parent} does not exist")
    target.write_text(asyncio.run(shoot(shot)), encoding="utf-8")
    print(f"wrote {path}")
    return 0
