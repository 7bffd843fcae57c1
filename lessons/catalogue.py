"""The requirement catalogue: key → chip label → term → scene, read from the scenes' front matter.

Cards, the chooser and the verifier all speak these keys. Nothing here is typed twice: a
requirement is written once, in the scene that teaches it, and this module collects them.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

from pydantic import BaseModel

from lessons.scenes import SceneError, all_scenes, display_number


class Requirement(BaseModel):
    """One requirement a workload can have, and the scene whose mechanism serves it."""

    key: str
    label: str  # the chip label, e.g. "N-day wait"
    term: str  # the term earned, e.g. "durable timer"
    scene: str  # scene number, e.g. "07"
    toward: list[str]  # engines it pulls toward: "replay" | "dag" | "statemachine"
    on_engine: dict[str, str]  # engine -> one plain sentence: how that engine serves (or fails) it
    never: list[str] = []  # engines that cannot serve it at all (long_wait, signals: never a DAG)
    when_absent: str = ""  # one plain sentence: what it means that a workload does not need it

    @property
    def scene_display(self) -> str:
        """The scene as the course shows it ("6.5" for 06a)."""
        return display_number(self.scene)


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Requirement]:
    found: dict[str, Requirement] = {}
    for scene in all_scenes():
        for entry in scene.requirements:
            if entry.key in found:
                raise SceneError(
                    f"{scene.path}: requirement {entry.key!r} is already taught in scene "
                    f"{display_number(found[entry.key].scene)}"
                )
            found[entry.key] = Requirement(scene=scene.number, **entry.model_dump())
    return found


def catalogue() -> dict[str, Requirement]:
    """Every requirement key in course order (a fresh dict over the cached entries)."""
    return dict(_catalogue())


def requirement(key: str) -> Requirement:
    """One requirement; SceneError with a suggestion if the key is unknown."""
    found = _catalogue().get(key)
    if found is None:
        raise SceneError(f"{key}: {unknown_key_message(key)}")
    return found


def unknown_key_message(key: str) -> str:
    """"unknown requirement key (did you mean long_wait?)" — shared by cards and the CLI."""
    close = difflib.get_close_matches(key, list(_catalogue()), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(_catalogue())}"
    return f"unknown requirement key ({hint})"
