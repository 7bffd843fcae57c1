"""The command palette (ctrl+p): jump to a scene, run a scenario, switch theme, open a screen."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

THEME_CHOICES = ("projector", "textual-dark", "textual-light", "solarized-light")


def _scene_entries() -> list[tuple[str, str, str]]:
    """(number, display, title) of every scene."""
    from lessons.scenes import all_scenes

    return [(s.number, s.display, s.title) for s in all_scenes()]


def _scenario_entries() -> list[tuple[str, str]]:
    """(workload, scenario) pairs the runner offers."""
    from workloads.runner import WORKLOADS, scenarios

    return [(workload, s) for workload in WORKLOADS for s in scenarios(workload)]


class CanvasCommands(Provider):
    """Commands built from what exists right now (scenes, scenarios, themes)."""

    async def startup(self) -> None:
        self._scenes, self._scenarios = await asyncio.gather(
            asyncio.to_thread(_scene_entries), asyncio.to_thread(_scenario_entries)
        )

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.app
        commands: list[tuple[str, Callable[[], object], str]] = []
        for mode, title in (("canvas", "Design canvas"), ("run", "Side-by-side run"),
                            ("history", "History inspector"), ("lessons", "Lessons")):
            commands.append((f"Open {title}", partial(app.action_switch_mode, mode), f"switch to the {title.lower()}"))
        for number, display, title in getattr(self, "_scenes", []):
            commands.append((f"Scene {display}: {title}", partial(app.open_scene, number), "jump to this scene"))
        for workload, scenario in getattr(self, "_scenarios", []):
            commands.append(
                (f"Run {workload}: {scenario}", partial(app.open_run, workload, scenario), "side by side on the three engines")
            )
        for theme in THEME_CHOICES:
            if theme in app.available_themes:
                commands.append((f"Theme: {theme}", partial(setattr, app, "theme", theme), "switch theme"))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
