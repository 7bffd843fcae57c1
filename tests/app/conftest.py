"""Shared helpers for the app's tests: a settled pilot, screen text, no blinking cursor."""

from __future__ import annotations

import io

import pytest
from textual.widgets import Input

from app.screenshot import settle  # noqa: F401  (re-exported for the tests)

SIZE = (120, 40)


def screen_text(app) -> str:
    """What the terminal shows right now, as plain text (top screen, with what shows through)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def static_text(widget) -> str:
    """The plain text of a Static's content, whether a string, a Text or a Rich renderable."""
    from rich.console import Console
    from rich.text import Text

    content = widget.content
    if isinstance(content, (str, Text)):
        return str(content)
    console = Console(width=1000, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch):
    """A blinking cursor would make screenshots differ from run to run."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
