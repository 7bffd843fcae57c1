"""Workload cards: a workload's requirements as data (TOML), checked against the catalogue.

A card is what a student drags onto the design canvas. Users write their own, so every mistake
(an unknown chip key, a wrong type, a missing field, a workload that does not exist, a binary or
deeply nested file) is reported as one line, `file: key: problem`. A chip is `true`/`false`, or
for a measured requirement how much: `long_wait = "3d"` (how long the longest wait is),
`fan_out = 10000` (how many sub-units), which the chooser weighs against each engine's limits.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from engines.errors import WorkflowCanvasError
from engines.inputs import InputError, printable, read_user_text
from workloads.requirements import Measure, catalogue, describe_duration, parse_duration, unknown_key_message
from workloads.runs import WorkloadName

CARDS_DIR = Path(__file__).with_name("cards")
_SLUG = r"^[a-z0-9][a-z0-9-]*$"
#: A card is a few hundred bytes of TOML; a file far bigger is not a card.
MAX_CARD_BYTES = 64 * 1024
MAX_TITLE = 120
MAX_STORY = 2000
MAX_LABEL = 200
MAX_COUNT = 10**9
#: What `load_card` and `card_text` read as a control character (tab and newline are text).


class CardError(WorkflowCanvasError):
    """A card file is wrong or a card id is unknown; the message names file, key and problem."""


class _UnknownChip(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(unknown_key_message(key))
        self.key = key


class Amount(BaseModel):
    """How much of a measured chip a card asks for: "3d" is 259,200 seconds, 10000 is 10,000 sub-units."""

    model_config = ConfigDict(frozen=True)

    written: str | int
    value: float


def _amount(key: str, value: object) -> Amount:
    """The Amount of a measured chip's value, or ValueError("chips.KEY: problem")."""
    measure = catalogue()[key].measure
    if measure is Measure.DURATION:
        if not isinstance(value, str):
            raise ValueError(f"chips.{key}: expected true, false or a duration such as \"3d\", got {value!r}")
        try:
            return Amount(written=value, value=parse_duration(value))
        except ValueError as exc:
            raise ValueError(f"chips.{key}: {exc}") from None
    if measure is Measure.COUNT:
        if not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
            raise ValueError(f"chips.{key}: expected true, false or a count from 1 to {MAX_COUNT:,}, got {value!r}")
        return Amount(written=value, value=float(value))
    raise ValueError(f"chips.{key}: expected true or false, got {value!r}")


class Card(BaseModel):
    """A workload and the requirements it has (✓ present) or lacks (○ absent)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_SLUG, max_length=80)
    letter: str = Field(pattern=r"^[A-Z][A-Z0-9]?$")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    story: str = Field(min_length=1, max_length=MAX_STORY)
    # Strict: TOML has real booleans, so "yes" or 1 is a mistake, not a truthy value. A measured
    # chip's amount ("3d", 10000) is moved to `amounts` and the chip itself reads true.
    chips: dict[str, StrictBool] = Field(min_length=1)
    #: Measured chips: long_wait → Amount("3d", 259200.0); fan_out → Amount(10000, 10000.0).
    amounts: dict[str, Amount] = {}
    #: Optional wording of a chip on this card, e.g. long_wait → "30-day wait".
    labels: dict[str, str] = {}
    scenarios: list[str] = []
    workload: str | None = Field(default=None, pattern=_SLUG)
    path: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _measured_chips(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("chips"), dict) or "amounts" in data:
            return data
        known = catalogue()
        chips, amounts = {}, {}
        for key, value in data["chips"].items():
            if key in known and not isinstance(value, bool) and isinstance(value, (str, int, float)):
                amounts[key] = _amount(key, value)
                value = True
            chips[key] = value
        return {**data, "chips": chips, "amounts": amounts}

    @field_validator("chips", "labels")
    @classmethod
    def _known_keys(cls, value: dict) -> dict:
        known = catalogue()
        for key in value:
            if key not in known:
                raise _UnknownChip(key)
        return value

    @field_validator("labels")
    @classmethod
    def _label_lengths(cls, value: dict[str, str]) -> dict[str, str]:
        for key, label in value.items():
            if not label.strip() or len(label) > MAX_LABEL:
                raise ValueError(f"labels.{key}: a label is 1 to {MAX_LABEL} characters, got {len(label):,}")
        return value

    @field_validator("workload")
    @classmethod
    def _runnable(cls, value: str | None) -> str | None:
        if value is not None and value not in {w.value for w in WorkloadName}:
            raise ValueError(f"workload: {value!r} is not a runnable workload "
                             f"(one of: {', '.join(w.value for w in WorkloadName)}); leave it out to judge by chips alone")
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

    @model_validator(mode="after")
    def _no_nul(self) -> "Card":
        texts = {"id": self.id, "title": self.title, "story": self.story,
                 **{f"labels.{k}": v for k, v in self.labels.items()}}
        for where, text in texts.items():
            if "\x00" in text:
                raise ValueError(f"{where}: contains a NUL character")
        return self

    def present(self) -> list[str]:
        """The keys this workload needs (✓), in catalogue order."""
        return [k for k in catalogue() if self.chips.get(k) is True]

    def amount(self, key: str) -> float | None:
        """The measured amount of a present chip (seconds, or a count), None when it is plain true."""
        found = self.amounts.get(key)
        return found.value if found is not None else None

    def chip_value(self, key: str) -> bool | str | int:
        """The chip as the card wrote it: true, false, "3d" or 10000."""
        found = self.amounts.get(key)
        return found.written if found is not None else self.chips[key]

    def chip_label(self, key: str) -> str:
        """The chip's wording on this card: its own label, else one made from its amount, else the catalogue's."""
        if self.labels.get(key):
            return self.labels[key]
        found = self.amounts.get(key)
        if found is not None and catalogue()[key].measure is Measure.DURATION:
            return f"{describe_duration(found.value)} wait"
        if found is not None:
            return f"{int(found.value):,} independent sub-units"
        return catalogue()[key].label


def card_text(text: str) -> str:
    """Card text made safe for a terminal: control characters (escape codes) dropped.

    Rich markup is escaped where the text is printed (`rich.markup.escape`), so "[beta]" stays.
    """
    return printable(text)


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
    if kind == "string_too_long":
        return key, f"{len(error['input']):,} characters; at most {error['ctx']['max_length']:,}"
    if kind == "value_error":
        message = error["msg"].removeprefix("Value error, ")
        named = re.match(r"^([a-z_]+(?:\.[a-z0-9_]+)?): (.*)$", message, re.S)
        if named and not loc:
            return named.group(1), named.group(2)
        if named and loc and named.group(1).split(".")[0] == loc[0]:
            return named.group(1), named.group(2)
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
    if "amounts" in data:
        raise CardError(f"{source}: amounts: unknown field (write an amount as the chip's value: long_wait = \"3d\")")
    try:
        card = Card.model_validate(data)
    except ValidationError as exc:
        # An unknown field first: a misspelt one also shows up as a "missing" one.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        key, problem = _problem(errors[0])
        raise CardError(f"{source}: {key}: {problem}") from None
    return card.model_copy(update={"path": path})


def load_card(path: str | Path) -> Card:
    """Load and validate one card file; CardError naming the file, the key (or line) and the problem."""
    path = Path(path)
    source = path.name
    try:
        text = read_user_text(path, "card file", max_bytes=MAX_CARD_BYTES)
    except InputError as exc:
        raise CardError(str(exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise CardError(f"{source}: nested too deeply to be a card (a card is flat fields, [chips] and [labels])") from None
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
