"""A scene's knobs as controls: a Switch for a bool, an Input for an int, a Select for a choice.

A number box takes every printable key, so while it has focus the lesson's keys (n, p, r, q)
type into it. Escape (and Enter, once the number is in) leaves the box: focus goes back to the
scene list and the lesson's keys work again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Switch
from app.widgets.picker import Picker

if TYPE_CHECKING:
    from lessons.scenes import Knob


class KnobControl(Horizontal):
    """One labelled control for a lessons.scenes.Knob; `value()` reads it back typed."""

    BINDINGS = [Binding("escape", "leave", "Leave the box", id="knob.leave", show=False,
                        tooltip="Back to the scene list, so n, p, r and q work again")]

    def __init__(self, knob: Knob) -> None:
        super().__init__(classes="knob")
        self.knob = knob

    def compose(self) -> ComposeResult:
        knob = self.knob
        yield Label(knob.label, classes="knob-label")
        if knob.kind == "bool":
            yield Switch(value=bool(knob.default), id=f"knob-{knob.name}")
        elif knob.kind == "int":
            yield Input(
                str(knob.default), type="integer", id=f"knob-{knob.name}", tooltip=f"{knob.min}…{knob.max}",
                classes="knob-int",
            )
        else:
            yield Picker([(c, c) for c in knob.choices], value=knob.default, allow_blank=False, id=f"knob-{knob.name}")

    def action_leave(self) -> None:
        """Give focus back to the screen's scene list (or to nothing), out of this control."""
        target = next(iter(self.screen.query("#scene-list")), None)
        if target is not None and target.focusable:
            target.focus()
        else:
            self.screen.set_focus(None)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_leave()

    def value(self) -> bool | int | str:
        """The control's value; an int out of range or empty raises ValueError naming the knob."""
        knob = self.knob
        widget = next(iter(self.query(f"#knob-{knob.name}")), None)
        if widget is None:
            # Mounted but not composed yet (a scene just switched and Run pressed in the same
            # instant): the control is about to show the knob's default, so that is its value.
            return knob.default
        if isinstance(widget, Switch):
            return widget.value
        if isinstance(widget, Input):
            try:
                number = int(widget.value)
            except ValueError:
                raise ValueError(f"{knob.label}: {widget.value!r} is not a whole number") from None
            if (knob.min is not None and number < knob.min) or (knob.max is not None and number > knob.max):
                raise ValueError(f"{knob.label}: {number} is outside {knob.min}…{knob.max}")
            return number
        assert isinstance(widget, Select)
        return str(widget.value)
