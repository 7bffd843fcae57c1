"""The requirement catalogue: key → chip label → term → scene, as data of the workloads layer.

Cards, the chooser and the verifier all speak these keys, so the catalogue lives with them in
`workloads/requirements.toml`, not in the lessons above: the verifier cites the scene that teaches
a requirement without importing the course that tells it. The scenes refer to requirements by key
(`keys = [...]` in their front matter) and the scene loader checks that the two agree.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engines.errors import WorkflowCanvasError
from engines.trace import ENGINES, EngineName

CATALOGUE_FILE = Path(__file__).with_name("requirements.toml")
#: A scene number as the course files it: "01".."12", and "06a" for scene 6.5.
SCENE_NUMBER = r"^(0[1-9]|1[0-2])a?$"


class RequirementError(WorkflowCanvasError):
    """The catalogue file is wrong, or a requirement key is unknown; the message names where."""


def display_number(number: str) -> str:
    """How a scene number is cited: "6.5" for 06a (the course's own label), else "01".."12"."""
    return "6.5" if number == "06a" else number


class Requirement(BaseModel):
    """One requirement a workload can have, and the scene whose mechanism serves it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    scene: str = Field(pattern=SCENE_NUMBER)  # the scene that teaches it, e.g. "07"
    label: str = Field(min_length=1)  # the chip label, e.g. "N-day wait"
    term: str = Field(min_length=1)  # the term earned, e.g. "durable timer"
    toward: list[EngineName] = Field(min_length=1)  # engines it pulls toward
    on_engine: dict[str, str]  # engine -> one plain sentence: how that engine serves (or fails) it
    never: list[EngineName] = []  # engines that cannot serve it at all
    when_absent: str = Field(min_length=1)  # what it means that a workload does not need it

    @model_validator(mode="after")
    def _every_engine_explained(self) -> "Requirement":
        missing = [e for e in ENGINES if not self.on_engine.get(e, "").strip()]
        extra = [e for e in self.on_engine if e not in ENGINES]
        if missing or extra:
            raise ValueError(
                f"on_engine: needs one sentence for each of {', '.join(ENGINES)}"
                + (f" (missing {', '.join(missing)})" if missing else "")
                + (f" (unknown {', '.join(extra)})" if extra else "")
            )
        if set(self.toward) & set(self.never):
            raise ValueError("never: an engine cannot be both in toward and in never")
        return self

    @property
    def scene_display(self) -> str:
        """The scene as the course shows it ("6.5" for 06a)."""
        return display_number(self.scene)


def _entry_lines(text: str) -> list[int]:
    """The file line (1-based) of each `[[requirement]]` header, for error messages."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[requirement]]"]


def parse_catalogue(text: str, source: str = CATALOGUE_FILE.name) -> dict[str, Requirement]:
    """Parse a catalogue file's text; every problem is one RequirementError naming line and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RequirementError(f"{source}: not valid TOML: {exc}") from None
    unknown = [k for k in data if k != "requirement"]
    if unknown:
        raise RequirementError(f"{source}: {unknown[0]}: unknown table (entries are [[requirement]])")
    found: dict[str, Requirement] = {}
    headers = _entry_lines(text)
    for index, entry in enumerate(data.get("requirement", [])):
        line = headers[index] if index < len(headers) else 1
        try:
            requirement = Requirement.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or "requirement"
            message = error["msg"].removeprefix("Value error, ")
            named = re.match(r"^([a-z_]+): (.*)$", message, re.S)
            if error["type"] == "value_error" and named:
                field, message = named.group(1), named.group(2)
            elif error["type"] == "missing":
                message = "missing required field"
            elif error["type"] == "extra_forbidden":
                message = "unknown field"
            raise RequirementError(f"{source}:{line}: {field}: {message}") from None
        if requirement.key in found:
            raise RequirementError(f"{source}:{line}: key: {requirement.key!r} is already in the catalogue")
        found[requirement.key] = requirement
    if not found:
        raise RequirementError(f"{source}: no [[requirement]] entries")
    return found


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Requirement]:
    try:
        text = CATALOGUE_FILE.read_text(encoding="utf-8")
    except OSError as exc:
        raise RequirementError(f"{CATALOGUE_FILE}: cannot read: {exc.strerror}") from None
    return parse_catalogue(text)


def catalogue() -> dict[str, Requirement]:
    """Every requirement key in course order (a fresh dict over the cached, frozen entries)."""
    return dict(_catalogue())


def requirement(key: str) -> Requirement:
    """One requirement; RequirementError with a suggestion if the key is unknown."""
    found = _catalogue().get(key)
    if found is None:
        raise RequirementError(f"{key}: {unknown_key_message(key)}")
    return found


def unknown_key_message(key: str) -> str:
    """"unknown requirement key (did you mean long_wait?)" — shared by cards, scenes and the CLI."""
    close = difflib.get_close_matches(key, list(_catalogue()), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(_catalogue())}"
    return f"unknown requirement key ({hint})"
