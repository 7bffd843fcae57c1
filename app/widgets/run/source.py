"""The replay workflow's own source, read from its module (never a copy), with what each line does.

Temporal's point is that the workflow *is* ordinary code; the run view shows that code and moves
a cursor over it. The lines come from `inspect` on the workload's replay module: the workflow
function whose type name the history's WorkflowExecutionStarted names, then the module's helper
coroutines it awaits, in the order they are called.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import ModuleType
from typing import Any, Callable


class LineKind(StrEnum):
    """What a source line does, in the course's colours: workflow code (blue), activities (red)."""

    CODE = "code"                  # deterministic workflow code: replayed
    ACTIVITY = "activity"          # `await ctx.activity(...)`: touches the world, result recorded
    COMPENSATION = "compensation"  # `saga.add(...)` / `saga.compensate()`: the undo steps
    WAIT = "wait"                  # a durable timer: `ctx.sleep` / `wait_condition(..., timeout=)`
    SIGNAL = "signal"              # reads `ctx.signals`
    HEADER = "header"              # `def` and decorator lines, docstrings


@dataclass(frozen=True)
class SourceLine:
    number: int            # line number in the file
    text: str              # the line, as written (dedented by the function's indent)
    kind: LineKind
    activity: str | None   # the activity type this line names (ChargeCard), if any


@dataclass(frozen=True)
class WorkflowSource:
    """A workflow's code as the run view shows it: its file, its lines, which line names what."""

    path: str
    workflow_type: str
    lines: tuple[SourceLine, ...]

    def lines_naming(self, activity_type: str) -> list[SourceLine]:
        return [line for line in self.lines if line.activity == activity_type]

    def lines_of(self, kind: LineKind) -> list[SourceLine]:
        return [line for line in self.lines if line.kind == kind]


_AWAIT_HELPER = re.compile(r"await\s+([A-Za-z_]\w*)\(")
_METHOD = re.compile(r"\b[A-Za-z_]\w*\.([a-z_]\w*)\b")


def _activity_names(module: ModuleType) -> dict[str, str]:
    """Method name -> activity type name, for every `@activity.defn` in the module's classes."""
    names: dict[str, str] = {}
    for obj in vars(module).values():
        if inspect.isclass(obj) and obj.__module__ == module.__name__:
            for attr, fn in vars(obj).items():
                name = getattr(fn, "__activity_name__", None)
                if isinstance(name, str):
                    names[attr] = name
    return names


def _workflow_fn(module: ModuleType, workflow_type: str) -> Callable[..., Any] | None:
    """The first-defined function of that type name (v1 when later versions share the name)."""
    found = [obj for obj in vars(module).values()
             if inspect.isfunction(obj) and getattr(obj, "__workflow_name__", None) == workflow_type
             and obj.__module__ == module.__name__]
    return min(found, key=lambda f: f.__code__.co_firstlineno) if found else None


def _kind(text: str, activity: str | None) -> LineKind:
    stripped = text.strip()
    if stripped.startswith(("@", "def ", "async def ", '"""', "'''")):
        return LineKind.HEADER
    if "saga." in stripped or "compensate(" in stripped:
        return LineKind.COMPENSATION
    if "ctx.activity(" in stripped or (activity and "await" in stripped):
        return LineKind.ACTIVITY
    if "wait_condition(" in stripped or "ctx.sleep(" in stripped:
        return LineKind.WAIT
    if "ctx.signals" in stripped:
        return LineKind.SIGNAL
    return LineKind.CODE


@lru_cache(maxsize=16)
def workflow_source(module_name: str, workflow_type: str) -> WorkflowSource | None:
    """The workflow's source and its awaited helpers from `module_name`, or None if not found."""
    module = importlib.import_module(module_name)
    fn = _workflow_fn(module, workflow_type)
    if fn is None:
        return None
    activities = _activity_names(module)
    lines: list[SourceLine] = []
    queue: list[Callable[..., Any]] = [fn]
    seen: set[str] = set()
    while queue:
        f = queue.pop(0)
        if f.__name__ in seen:
            continue
        seen.add(f.__name__)
        raw, first = inspect.getsourcelines(f)
        indent = min((len(r) - len(r.lstrip()) for r in raw if r.strip()), default=0)
        in_doc = False
        for offset, r in enumerate(raw):
            text = r.rstrip("\n")[indent:] if r.strip() else ""
            names = [activities[m] for m in _METHOD.findall(text) if m in activities]
            activity = names[0] if names else None
            kind = _kind(text, activity)
            starts_doc = text.strip().startswith(('"""', "'''"))
            if in_doc or starts_doc:
                kind = LineKind.HEADER
                closes = text.strip().count('"""') + text.strip().count("'''")
                in_doc = (in_doc and closes == 0) or (starts_doc and not in_doc and closes == 1)
            lines.append(SourceLine(first + offset, text, kind, activity))
            for helper in _AWAIT_HELPER.findall(text):
                target = getattr(module, helper, None)
                if inspect.iscoroutinefunction(target) and helper not in seen:
                    queue.append(target)
        lines.append(SourceLine(0, "", LineKind.CODE, None))  # a blank line between functions
    path = inspect.getsourcefile(fn) or module_name
    return WorkflowSource(path=path, workflow_type=workflow_type, lines=tuple(lines[:-1]))
