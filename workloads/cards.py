"""Workload cards: a workload's requirements as data (TOML), checked against the catalogue.

A card is what a student drags onto the design canvas. Users write their own, so every mistake
(an unknown chip key, a wrong type, a missing field) is reported as `file: key: problem`.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator
from pydantic_core import ErrorDetails

from engines.errors import WorkflowCanvasError
from workloads.requirements import catalogue, unknown_key_message

CARDS_DIR = Path(__file__).with_name("cards")
_SLUG = r"^[a-z0-9][a-z0-9-]*$"


class CardError(WorkflowCanvasError):
    """A card file is wrong or a card id is unknown; the message names file, key and problem."""


class _UnknownChip(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(unknown_key_message(key))
        self.key = key


class Card(BaseModel):
    """A workload and the requirements it has (✓ present) or lacks (○ absent)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_SLUG)
    letter: str = Field(pattern=r"^[A-Z][A-Z0-9]?$")
    title: str = Field(min_length=1)
    story: str = Field(min_length=1)
    # Strict: TOML has real booleans, so "yes" or 1 is a mistake, not a truthy value.
    chips: dict[str, StrictBool] = Field(min_length=1)
    #: Optional wording of a chip on this card, e.g. long_wait → "30-day wait".
    labels: dict[str, str] = {}
    scenarios: list[str] = []
    workload: str | None = Field(default=None, pattern=_SLUG)
    path: Path | None = None

    @field_validator("chips", "labels")
    @classmethod
    def _known_keys(cls, value: dict) -> dict:
        known = catalogue()
        for key in value:
            if key not in known:
                raise _UnknownChip(key)
        return value

    @field_validator("scenarios")
    @classmethod
    def _scenario_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.match(_SLUG, name):
                raise ValueError(f"scenario {name!r}: use lower-case words joined by '-'")
        if len(set(value)) != len(value):
            raise ValueError("a scenario is listed twice")
        return value

    def present(self) -> list[str]:
        """The keys this workload needs (✓), in catalogue order."""
        return [k for k in catalogue() if self.chips.get(k) is True]

    def chip_label(self, key: str) -> str:
        """The chip's wording on this card (its own label if it has one, else the catalogue's)."""
        return self.labels.get(key) or catalogue()[key].label


def _problem(error: ErrorDetails) -> tuple[str, str]:
    """(dotted key, plain problem) for one pydantic error."""
    loc = [str(p) for p in error["loc"]]
    ctx_error = (error.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _UnknownChip):
        return ".".join(loc + [ctx_error.key]), str(ctx_error)
    kind = error["type"]
    key = ".".join(loc) or "card"
    if kind == "missing":
        return key, "missing required field"
    if kind == "extra_forbidden":
        return key, "unknown field (fields: id, letter, title, story, chips, labels, scenarios, workload)"
    if kind == "bool_type" or kind == "bool_parsing":
        return key, f"expected true or false, got {error['input']!r}"
    if kind == "string_pattern_mismatch" and loc[:1] == ["letter"]:
        return key, f"expected one capital letter (A–Z), got {error['input']!r}"
    if kind == "string_pattern_mismatch":
        return key, f"expected lower-case words joined by '-', got {error['input']!r}"
    if kind == "too_short" and loc[:1] == ["chips"]:
        return key, "a card needs at least one chip"
    return key, error["msg"].removeprefix("Value error, ")


def card_from_data(data: dict[str, Any], source: str, path: Path | None = None) -> Card:
    """Validate parsed TOML as a card; `source` names it in errors (a file name)."""
    if "path" in data:
        raise CardError(f"{source}: path: unknown field (a card's path is where it was loaded from)")
    try:
        card = Card.model_validate(data)
    except ValidationError as exc:
        # An unknown field first: a misspelt one also shows up as a "missing" one.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        key, problem = _problem(errors[0])
        raise CardError(f"{source}: {key}: {problem}") from None
    return card.model_copy(update={"path": path})


def load_card(path: str | Path) -> Card:
    """Load and validate one card file; CardError naming the file, the key and the problem."""
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CardError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{source}: not valid TOML: {exc}") from None
    return card_from_data(data, source, path)


@lru_cache(maxsize=1)
def _bundled() -> tuple[Card, ...]:
    cards = [load_card(p) for p in sorted(CARDS_DIR.glob("*.toml"))]
    for attr in ("id", "letter"):
        seen: dict[str, Card] = {}
        for card in cards:
            other = seen.setdefault(getattr(card, attr), card)
            if other is not card:
                raise CardError(f"{card.path}: {attr}: {getattr(card, attr)!r} is also used by {other.path}")
    return tuple(sorted(cards, key=lambda c: c.letter))


def bundled_cards() -> list[Card]:
    """The cards that ship with the app, sorted by letter."""
    return list(_bundled())


def get_card(id_or_path: str | Path) -> Card:
    """A bundled card by id, letter or workload ("A", "order-fulfillment", "order-1001"), or a file."""
    text = str(id_or_path).strip()
    if text.endswith(".toml") or "/" in text or Path(text).is_file():
        return load_card(text)
    for card in _bundled():
        if text.lower() in (card.id, card.letter.lower(), card.workload):
            return card
    listed = ", ".join(f"{c.letter} ({c.id})" for c in _bundled())
    raise CardError(f"no card {text!r}: give a bundled card ({listed}) or a path to a .toml file")
