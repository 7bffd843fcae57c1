"""Themes: the projector theme is light, high-contrast and colour-blind friendly."""

from __future__ import annotations

from textual.theme import Theme

#: Black on white, saturated blue/orange accents: readable from the back of a lecture hall.
PROJECTOR = Theme(
    name="projector",
    primary="#0033CC",
    secondary="#7A3E00",
    accent="#B35900",
    warning="#8A5A00",
    error="#B00020",
    success="#006B1F",
    foreground="#000000",
    background="#FFFFFF",
    surface="#F2F2F2",
    panel="#E0E6F5",
    dark=False,
    luminosity_spread=0.1,
    text_alpha=1.0,
)

#: The theme the app starts in, and the one the `t` key toggles to.
DEFAULT_THEME = "textual-dark"
THEMES = (PROJECTOR,)
