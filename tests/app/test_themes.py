"""Every theme the app offers is readable: body text and the footer's keys at WCAG AA (4.5:1).

Measured from what the running app paints (the footer key's own rendered style over the footer's
background), not from the theme's declared colours: solarized-light's footer was unreadable
because the app painted the footer $panel while the theme's footer colours assume its own blue.
"""

from __future__ import annotations

from textual.color import Color
from textual.widgets._footer import FooterKey

from app.canvas_app import WorkflowCanvasApp
from app.themes import READABLE_CONTRAST, contrast
from app.widgets.footer import Footer

from .conftest import SIZE, settle


async def test_every_offered_theme_paints_a_readable_footer_and_text():
    app = WorkflowCanvasApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        offered = list(app.available_themes)
        assert "projector" in offered and "textual-dark" in offered
        assert "solarized-light" not in offered

        for name in offered:
            app.theme = name
            await pilot.pause()
            footer = app.screen.query_one(Footer)
            key = footer.query(FooterKey).first()
            _, background = key.background_colors
            for part in ("footer-key--key", "footer-key--description"):
                style = key.get_component_rich_style(part)
                ink = Color.from_rich_color(style.color)
                ink_on = background + Color.from_rich_color(style.bgcolor) if style.bgcolor else background
                ratio = contrast(ink_on.blend(ink, ink.a) if ink.a < 1 else ink, ink_on)
                assert ratio >= READABLE_CONTRAST, f"{name}: {part} {ratio:.1f}:1"
            body = app.screen.rich_style  # what a widget with no colour of its own paints
            ratio = contrast(Color.from_rich_color(body.color), Color.from_rich_color(body.bgcolor))
            assert ratio >= READABLE_CONTRAST, f"{name}: body text {ratio:.1f}:1"
