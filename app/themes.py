"""Themes: the projector theme is light, high-contrast and colour-blind friendly; only themes whose
text and footer are readable (WCAG AA) are offered."""

from __future__ import annotations

from textual.color import Color
from textual.theme import BUILTIN_THEMES, Theme

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
    # the footer's keys in the primary blue, not the orange accent (3.9:1 on the panel, below AA)
    variables={"footer-key-foreground": "#0033CC", "footer-background": "#E0E6F5"},
)

#: The theme the app starts in, and the one the `t` key toggles to.
DEFAULT_THEME = "textual-dark"
THEMES = (PROJECTOR,)


#: WCAG 2's AA contrast for normal text: the footer's keys are the words a newcomer has to read.
READABLE_CONTRAST = 4.5


def contrast(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio of two opaque colours (1 to 21)."""

    def luminance(c: Color) -> float:
        def channel(v: int) -> float:
            s = v / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)

    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def worst_contrast(theme: Theme) -> float:
    """The lowest contrast of the pairs the app depends on: body text, and the footer's keys and
    descriptions on the footer's own background."""
    colors = theme.to_color_system().generate()
    background = Color.parse(colors["background"])
    panel = background + Color.parse(colors["footer-background"])
    pairs = [
        (colors["foreground"], background),
        (colors["footer-key-foreground"], panel),
        (colors["footer-description-foreground"], panel),
    ]
    return min(contrast(panel.blend(Color.parse(fg), Color.parse(fg).a), bg) for fg, bg in pairs)


def unreadable_builtin_themes() -> list[str]:
    """Textual's themes the app does not offer: below AA contrast, or ANSI themes whose colours are
    the terminal's own and so cannot be checked (solarized-light's footer was unreadable)."""
    return [name for name, theme in BUILTIN_THEMES.items()
            if name.startswith("ansi") or worst_contrast(theme) < READABLE_CONTRAST]
