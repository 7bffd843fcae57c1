"""`@workflow.defn`: names a workflow function (its workflow type, e.g. `order`)."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def defn(fn: F | None = None, *, name: str | None = None) -> Any:
    """Mark an `async def (ctx, ...)` as a workflow, optionally with its type name."""

    def mark(f: F) -> F:
        f.__workflow_name__ = name or f.__name__  # type: ignore[attr-defined]
        return f

    return mark(fn) if fn is not None else mark


def workflow_name(fn: Callable | str) -> str:
    """A workflow's type name: the `workflow.defn(name=...)` name, else the function's name."""
    if isinstance(fn, str):
        return fn
    name = getattr(fn, "__workflow_name__", None) or getattr(fn, "__name__", None)
    return name if isinstance(name, str) else str(fn)
