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
from enum import StrEnum
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


class Grade(StrEnum):
    """How well an engine serves one requirement: the verifier's three marks."""

    SERVES = "serves"      # ✓ the engine's own mechanism does it
    LIMITED = "limited"    # ◒ it does, within a limit the sentence states
    CANNOT = "cannot"      # ✗ it does not, and the sentence says why

    @property
    def mark(self) -> str:
        return GRADE_MARKS[self]


#: The mark each grade wears in the CLI and the TUI.
GRADE_MARKS: dict[Grade, str] = {Grade.SERVES: "✓", Grade.LIMITED: "◒", Grade.CANNOT: "✗"}
#: How much of a requirement's weight each grade adds to an engine's score.
GRADE_SHARE: dict[Grade, float] = {Grade.SERVES: 1.0, Grade.LIMITED: 0.5, Grade.CANNOT: 0.0}


class Measure(StrEnum):
    """What a card may say about a chip beyond true/false: how long a wait, how many sub-units."""

    DURATION = "duration"  # long_wait = "3d"
    COUNT = "count"        # fan_out = 10000


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdwy])\s*$")
#: Seconds per unit of a duration string; a year is 365 days, as Step Functions counts it.
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
#: What `long_wait = true` means when the card gives no length: longer than a week.
A_WEEK = 7 * 86400.0
MAX_DURATION = 100 * DURATION_UNITS["y"]


def parse_duration(text: str) -> float:
    """Seconds in "3d", "1.5h", "2y" (units s m h d w y); ValueError with the expected form."""
    found = _DURATION.match(text) if isinstance(text, str) else None
    if not found:
        raise ValueError(f"expected a duration such as \"3d\" (a number and one of s, m, h, d, w, y), got {text!r}")
    seconds = float(found.group(1)) * DURATION_UNITS[found.group(2)]
    if not 0 < seconds <= MAX_DURATION:
        raise ValueError(f"a duration is more than 0 and at most 100y, got {text!r}")
    return seconds


def describe_duration(seconds: float) -> str:
    """"30 days", "1 hour", "2 years": the largest unit that divides the length evenly."""
    names = {"y": "year", "w": "week", "d": "day", "h": "hour", "m": "minute", "s": "second"}
    for unit in ("y", "w", "d", "h", "m", "s"):
        amount = seconds / DURATION_UNITS[unit]
        if amount >= 1 and (amount == int(amount) or unit == "s"):
            amount_text = f"{amount:g}"
            return f"{amount_text} {names[unit]}" + ("" if amount == 1 else "s")
    return f"{seconds:g} seconds"


class Condition(BaseModel):
    """An engine's grade and sentence for a requirement when the card says more than true/false.

    `longer_than`/`within` compare a duration chip's length (a bare `true` counts as longer than a
    week, with no upper bound known); `also` names another chip the card must have. The first
    condition that holds for an engine replaces its default grade and sentence.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: EngineName
    grade: Grade
    why: str = Field(min_length=1)
    longer_than: str | None = None
    within: str | None = None
    also: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> "Condition":
        given = [f for f in ("longer_than", "within", "also") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("when: each condition needs exactly one of longer_than, within, also")
        for name in ("longer_than", "within"):
            value = getattr(self, name)
            if value is not None:
                try:
                    parse_duration(value)
                except ValueError as exc:
                    raise ValueError(f"when: {name}: {exc}") from None
        return self

    def holds(self, amount: float | None, present: set[str]) -> bool:
        """Does it apply to a chip of `amount` seconds (None: true, i.e. longer than a week)?"""
        if self.also is not None:
            return self.also in present
        if self.longer_than is not None:
            limit = parse_duration(self.longer_than)
            if amount is None:  # "longer than a week": surely longer than a limit of a week or less
                return limit <= A_WEEK
            return amount > limit
        assert self.within is not None
        return amount is not None and amount <= parse_duration(self.within)


class Requirement(BaseModel):
    """One requirement a workload can have, the scene whose mechanism serves it, and each engine's grade."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    scene: str = Field(pattern=SCENE_NUMBER)  # the scene that teaches it, e.g. "07"
    label: str = Field(min_length=1)  # the chip label, e.g. "N-day wait"
    term: str = Field(min_length=1)  # the term earned, e.g. "durable timer"
    grade: dict[EngineName, Grade]  # engine -> its default grade
    on_engine: dict[str, str]  # engine -> one plain sentence that says what the grade means there
    when: list[Condition] = []  # grades that depend on the card (a wait's length, another chip)
    #: A "cannot" on a hard requirement rules the engine out, whatever the weights.
    hard: bool = False
    #: False for what a plain function call has without any engine (a client-side retry).
    orchestrates: bool = True
    measure: Measure | None = None
    #: A measured chip at or under this amount weighs a quarter: every engine holds it.
    decisive_beyond: str | None = None
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
        ungraded = [e for e in ENGINES if e not in self.grade]
        if ungraded:
            raise ValueError(f"grade: needs a grade (serves, limited, cannot) for {', '.join(ungraded)}")
        if self.decisive_beyond is not None:
            if self.measure is not Measure.DURATION:
                raise ValueError("decisive_beyond: only a measure = \"duration\" requirement has one")
            try:
                parse_duration(self.decisive_beyond)
            except ValueError as exc:
                raise ValueError(f"decisive_beyond: {exc}") from None
        return self

    @property
    def scene_display(self) -> str:
        """The scene as the course shows it ("6.5" for 06a)."""
        return display_number(self.scene)

    @property
    def toward(self) -> list[EngineName]:
        """The engines that serve it by default: where the chip pulls."""
        return [e for e in ENGINES if self.grade[e] is Grade.SERVES]

    def graded(self, engine: str, amount: float | None = None, present: set[str] | frozenset[str] = frozenset()
               ) -> tuple[Grade, str]:
        """(grade, sentence) on `engine` for a chip of `amount` (None: plain true) on a card with `present` chips."""
        for condition in self.when:
            if condition.engine == engine and condition.holds(amount, set(present)):
                return condition.grade, condition.why
        return self.grade[engine], self.on_engine[engine]  # type: ignore[index]


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
    for index, req in enumerate(found.values()):
        for condition in req.when:
            if condition.also is not None and condition.also not in found:
                line = headers[index] if index < len(headers) else 1
                raise RequirementError(f"{source}:{line}: when: also: {condition.also!r} is not a requirement key")
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
