"""Screens that drop a mouse event aimed at something removed a moment ago (Textual 8.2 races).

Textual resolves a mouse event against the last frame drawn. When the app changes faster than it
draws (fast input, the monkey test), that frame can name a widget or an option that is gone:
- a press for text selection reads the widget's parent's region; a widget removed since (a
  lesson's Markdown re-rendered, a footer key recomposed, a card moved) has no parent, and the
  app died with "'NoneType' object has no attribute 'region'";
- a click on an OptionList carries the index of the option drawn there; when the list was
  refilled since (the command palette's hits, on every key) the index can be past its end, and
  the app died with IndexError in OptionList._on_click.
An event aimed at something that no longer exists has nothing to act on: it is dropped.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.errors import NoWidget
from textual.screen import Screen
from textual.widgets import OptionList


class StaleMouseGuard:
    """Mixin for a Screen (put it first in the bases)."""

    def _forward_event(self, event: events.Event) -> None:
        if isinstance(event, (events.MouseDown, events.Click)) and self._aims_at_something_gone(event):
            return
        super()._forward_event(event)  # type: ignore[misc]

    def _aims_at_something_gone(self, event: events.MouseEvent) -> bool:
        screen: Any = self
        try:
            if isinstance(event, events.MouseDown):
                if screen.app.mouse_captured:
                    return False
                widget, offset = screen.get_widget_and_offset_at(event.x, event.y)
                return widget is not None and offset is not None and not isinstance(widget, Screen) \
                    and widget.parent is None
            widget, _ = screen.get_widget_at(event.screen_x, event.screen_y)
            if isinstance(widget, OptionList):
                option = screen.get_style_at(event.screen_x, event.screen_y).meta.get("option")
                return option is not None and option >= widget.option_count
        except NoWidget:
            return False
        return False


class GuardedScreen(StaleMouseGuard, Screen[None]):
    pass
