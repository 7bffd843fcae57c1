"""The 13 scenes of the course, loaded from `lessons/scenes/NN-slug.md`.

Each file is TOML front matter between two `+++` lines, then Markdown. The front matter is the
one source of truth for a scene's title, terms and knobs; the requirements it teaches it names by
key (`keys`), checked against the catalogue of the workloads layer below
(`workloads/requirements.toml`), so a mistake in it is reported with the file, the line and the
field, never as a traceback.
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from engines.errors import WorkflowCanvasError
from workloads.requirements import catalogue, display_number, unknown_key_message

SCENE_NUMBERS = ("01", "02", "03", "04", "05", "06", "06a", "07", "08", "09", "10", "11", "12")
SCENES_DIR = Path(__file__).with_name("scenes")
FENCE = "+++"

_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}


class SceneError(WorkflowCanvasError):
    """A scene file (or a scene number, or a knob value) is wrong; the message names where."""


class KnobKind(StrEnum):
    """What a knob holds, and so how the lesson screen draws it (switch, number box, choice)."""

    BOOL = "bool"
    INT = "int"
    CHOICE = "choice"


class Knob(BaseModel):
    """One control of a scene's demo: what a student turns to see the mechanism work or fail."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: KnobKind
    default: bool | int | str
    choices: list[str] = []
    min: int | None = None
    max: int | None = None
    help: str = ""

    @model_validator(mode="after")
    def _default_fits_kind(self) -> "Knob":
        if self.kind is KnobKind.BOOL and not isinstance(self.default, bool):
            raise ValueError("default: a bool knob needs default = true or false")
        if self.kind is KnobKind.INT:
            if isinstance(self.default, bool) or not isinstance(self.default, int):
                raise ValueError("default: an int knob needs an integer default")
            if self.min is None or self.max is None or not self.min <= self.default <= self.max:
                raise ValueError("default: an int knob needs min <= default <= max")
        if self.kind is KnobKind.CHOICE and (len(self.choices) < 2 or self.default not in self.choices):
            raise ValueError("choices: a choice knob needs at least two choices and a default among them")
        if self.kind is not KnobKind.CHOICE and self.choices:
            raise ValueError("choices: only a choice knob has choices")
        return self

    def coerce(self, value: Any) -> bool | int | str:
        """A knob value from a command line string (or a Python value), checked against the knob."""
        if self.kind is KnobKind.BOOL:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise SceneError(f"knob {self.name}: expected on/off (true/false), got {value!r}")
        if self.kind is KnobKind.INT:
            if isinstance(value, int) and not isinstance(value, bool):
                number = value
            else:
                try:
                    number = int(str(value).strip())
                except ValueError:
                    raise SceneError(f"knob {self.name}: expected a whole number, got {value!r}") from None
            if not self.min <= number <= self.max:  # type: ignore[operator]
                raise SceneError(f"knob {self.name}: {number} is outside {self.min}..{self.max}")
            return number
        text = str(value).strip()
        if text not in self.choices:
            raise SceneError(f"knob {self.name}: {text!r} is not one of {', '.join(self.choices)}")
        return text


class _FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1)
    keys: list[str] = []
    knobs: list[Knob] = Field(min_length=1)


class Scene(BaseModel):
    """One scene: its front matter, its Markdown body and where it came from."""

    number: str
    display: str
    title: str
    summary: str
    terms: list[str]
    keys: list[str]
    knobs: list[Knob]
    body: str
    path: Path

    def knob(self, name: str) -> Knob:
        for knob in self.knobs:
            if knob.name == name:
                return knob
        raise SceneError(
            f"scene {self.display}: no knob {name!r} (knobs: {', '.join(k.name for k in self.knobs)})"
        )

    def knob_values(self, given: Mapping[str, Any] | None = None) -> dict[str, bool | int | str]:
        """Every knob's value: the defaults, with `given` (checked and coerced) on top."""
        values = {k.name: k.default for k in self.knobs}
        for name, value in (given or {}).items():
            values[name] = self.knob(name).coerce(value)
        return values


def normalise_number(text: str) -> str:
    """"7", "07", "6.5", "6a", "06a" → the canonical scene number, or SceneError."""
    raw = str(text).strip().lower()
    if raw in ("6.5", "6a", "06a", "06.5"):
        return "06a"
    if raw.isdigit() and f"{int(raw):02d}" in SCENE_NUMBERS:
        return f"{int(raw):02d}"
    raise SceneError(f"no scene {text!r} (scenes: {', '.join(display_number(n) for n in SCENE_NUMBERS)})")


def _split(text: str, path: Path) -> tuple[str, str, int]:
    """(front matter, body, line number where the front matter starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise SceneError(f"{path}:1: the file must start with a '{FENCE}' line (TOML front matter)")
    for i in range(1, len(lines)):
        if lines[i].strip() == FENCE:
            return "".join(lines[1:i]), "".join(lines[i + 1 :]).strip() + "\n", 2
    raise SceneError(f"{path}:1: the front matter opened with '{FENCE}' is never closed")


def _field_line(front: str, loc: tuple, first_line: int) -> int:
    """The file line that holds the field at a pydantic `loc`, as near as the TOML lets us tell."""
    lines = front.splitlines()
    top = str(loc[0]) if loc else ""
    start, end = 0, len(lines)
    if len(loc) >= 2 and isinstance(loc[1], int):
        headers = [i for i, line in enumerate(lines) if line.strip() == f"[[{top}]]"]
        if loc[1] < len(headers):
            start = headers[loc[1]]
            nexts = [i for i, line in enumerate(lines) if i > start and line.strip().startswith("[[")]
            end = nexts[0] if nexts else len(lines)
            field = str(loc[2]) if len(loc) >= 3 else None
            if field:
                for i in range(start, end):
                    stripped = lines[i].strip()
                    if re.match(rf"^{re.escape(field)}\s*=", stripped) or stripped.startswith(f"[{top}.{field}"):
                        return first_line + i
            return first_line + start
    for i in range(start, end):
        if re.match(rf"^{re.escape(top)}\s*=", lines[i].strip()):
            return first_line + i
    return first_line - 1


def _located(error: ErrorDetails) -> tuple[tuple, str]:
    """(loc, plain message); a model check's "field: problem" message moves the field into loc."""
    loc = tuple(error["loc"])
    if error["type"] == "missing":
        return loc, "missing required field"
    if error["type"] == "extra_forbidden":
        return loc, "unknown field"
    msg = error["msg"].removeprefix("Value error, ")
    found = re.match(r"^([a-z_]+): (.*)$", msg, re.S)
    if error["type"] == "value_error" and found:
        return loc + (found.group(1),), found.group(2)
    return loc, msg


def parse_scene(text: str, path: Path) -> Scene:
    """Parse one scene file's text; every problem raises SceneError naming file, line and field."""
    front, body, first = _split(text, path)
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(found.group(1)) + first - 1 if found else first
        raise SceneError(f"{path}:{line}: front matter is not valid TOML: {msg.split(' (at ')[0]}") from None
    try:
        fm = _FrontMatter.model_validate(data)
    except ValidationError as exc:
        loc, message = _located(exc.errors()[0])
        field = ".".join(str(p) for p in loc) or "front matter"
        line = _field_line(front, loc, first)
        raise SceneError(f"{path}:{line}: {field}: {message}") from None
    try:
        number = normalise_number(fm.number)
    except SceneError:
        raise SceneError(f"{path}:{_field_line(front, ('number',), first)}: number: unknown scene {fm.number!r}") from None
    if fm.number != number:
        raise SceneError(f"{path}:{_field_line(front, ('number',), first)}: number: write it as {number!r}")
    if not path.name.startswith(f"{number}-"):
        raise SceneError(f"{path}:{_field_line(front, ('number',), first)}: number: {number} does not match the file name")
    known = catalogue()
    for key in fm.keys:
        where = f"{path}:{_field_line(front, ('keys',), first)}: keys"
        if key not in known:
            raise SceneError(f"{where}: {key}: {unknown_key_message(key)}")
        if known[key].scene != number:
            raise SceneError(f"{where}: {key} is taught in scene {known[key].scene_display} "
                             f"(workloads/requirements.toml), not in {display_number(number)}")
    if len(set(fm.keys)) != len(fm.keys):
        raise SceneError(f"{path}:{_field_line(front, ('keys',), first)}: keys: a key repeats: {fm.keys}")
    names = [k.name for k in fm.knobs]
    if len(set(names)) != len(names):
        raise SceneError(f"{path}:{_field_line(front, ('knobs', 0), first)}: knobs: a knob name repeats: {names}")
    return Scene(
        number=number,
        display=display_number(number),
        title=fm.title,
        summary=fm.summary,
        terms=fm.terms,
        keys=fm.keys,
        knobs=fm.knobs,
        body=body,
        path=path,
    )


def load_scene(path: str | Path) -> Scene:
    """Load one scene file (for the course's own files and for checking a file being written)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SceneError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_scene(text, path)


@lru_cache(maxsize=4)
def _load_dir(directory: Path) -> tuple[Scene, ...]:
    found: dict[str, Scene] = {}
    for path in sorted(directory.glob("*.md")):
        scene = load_scene(path)
        if scene.number in found:
            raise SceneError(f"{path}: scene {scene.display} is also in {found[scene.number].path}")
        found[scene.number] = scene
    missing = [display_number(n) for n in SCENE_NUMBERS if n not in found]
    if missing:
        raise SceneError(f"{directory}: missing scene file(s) for {', '.join(missing)}")
    for requirement in catalogue().values():
        scene = found[requirement.scene]
        if requirement.key not in scene.keys:
            raise SceneError(f"{scene.path}: keys: lacks {requirement.key!r}, which workloads/requirements.toml "
                             f"says scene {scene.display} teaches")
    return tuple(found[n] for n in SCENE_NUMBERS)


def all_scenes(directory: Path | None = None) -> list[Scene]:
    """The 13 scenes in course order (parsed once, then cached)."""
    return list(_load_dir(Path(directory or SCENES_DIR)))


def get_scene(number: str, directory: Path | None = None) -> Scene:
    """One scene by "7", "07", "6.5" or "06a"; SceneError for an unknown number."""
    wanted = normalise_number(number)
    return next(s for s in all_scenes(directory) if s.number == wanted)
