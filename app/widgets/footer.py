"""The app's footer: Textual's Footer without its slow leak.

Textual's Footer recomposes its keys whenever the screen's bindings are refreshed (every run,
every focus move, whether anything shown changed or not) and binds each new key's `compact` to
its own with `data_bind`. Two things then kept dead keys alive: the Footer's watcher list, pruned
only when `compact` itself changes (never, here), and Textual's `lru_cache(1024)` on a StylesCache
method, which holds the style caches of the last 1,024 dead widgets. Every re-run of the
side-by-side view left 14 keys behind (the app grew 35% over 30 re-runs, bench/tui_memory.py).
So this footer recomposes only when the keys it shows changed (a key merely dimmed or lit is
updated in place), and prunes the watchers of keys already removed before it does.

It also shows the four screens (canvas, run view, inspector, lessons) at its left, the one you
are on lit, so a newcomer sees where else to go and by which key. They sit in the footer, not in
a tab strip, because every row counts at a classroom's ~76×21 cells: a strip would take one from
every screen. At 100 columns or more each key has its name ("c Canvas"); narrower, the keys
alone ("c s i l", the current one lit) and the compact footer keep the screen's own keys in
view; help (?) and the first-run hint name them ("Move between screens").
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

#: The app's four modes: (mode, the binding id of its key, its name).
SCREENS = (("canvas", "app.canvas", "Canvas"), ("run", "app.run_view", "Run view"),
           ("history", "app.inspect", "Inspect"), ("lessons", "app.lessons", "Lessons"))
#: From this many columns on, every screen key carries its name.
NAMED_FROM = 100


class ScreenKeys(Widget):
    """The four screens' keys, the current screen lit; a click switches as the key would."""

    DEFAULT_CSS = """
    ScreenKeys {
        width: auto;
        height: 1;
        color: $footer-description-foreground;
        background: $footer-item-background;
    }
    """
    ALLOW_SELECT = False

    def _parts(self) -> list[tuple[str, str, str]]:
        """(mode, key shown, name) of each screen, the keys as a --keymap file set them."""
        screen = self.screen
        keys = {active.binding.id: screen.app.get_key_display(active.binding)
                for active in screen.active_bindings.values() if active.binding.id}
        return [(mode, keys.get(ident, "?"), name) for mode, ident, name in SCREENS if ident in keys]

    def _segments(self) -> list[tuple[str, Text]]:
        current = getattr(self.app, "current_mode", "")
        named = self.app.size.width >= NAMED_FROM
        segments = []
        for i, (mode, key, name) in enumerate(self._parts()):
            gap = " " if i else ""  # no space before the first key: the footer's edge is enough
            label = f" {name}" if named else ""
            if mode == current:  # lit: the key and its name in reverse
                text = Text.assemble(gap, (f"{key}", "bold reverse"), (label, "reverse"))
            else:
                text = Text.assemble(gap, (key, "bold"), label)
            segments.append((mode, text))
        return segments

    def render(self) -> Text:
        return Text("").join(text for _, text in self._segments())

    def get_content_width(self, container: Any, viewport: Any) -> int:
        return self.render().cell_len

    async def on_click(self, event: events.Click) -> None:
        x = 0
        for mode, text in self._segments():
            x += text.cell_len
            if event.x < x:
                if mode != getattr(self.app, "current_mode", ""):
                    await self.app.run_action(f"switch_mode({mode!r})")
                return


class Footer(TextualFooter):
    _shown: tuple[Any, ...] | None = None

    def _layout(self, screen: Screen) -> tuple[Any, ...]:
        """What the footer shows, but for which keys are enabled (that changes in place)."""
        return (self.compact, self.show_command_palette, tuple(
            (key, active.binding.action, active.binding.description, active.tooltip,
             screen.app.get_key_display(active.binding))
            for key, active in screen.active_bindings.items() if active.binding.show))

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen and self._bindings_ready:
            layout = self._layout(screen)
            if layout == self._shown:
                self._update_enabled(screen)  # e.g. a run started or ended: keys dim, none is rebuilt
                return
            self._shown = layout
        super().bindings_changed(screen)

    def _update_enabled(self, screen: Screen) -> None:
        enabled = {(active.binding.key, active.binding.action): active.enabled
                   for active in screen.active_bindings.values()}
        for key in self.query(FooterKey):
            now = enabled.get((key.key, key.action))
            if now is not None and key._disabled == now:  # _disabled is FooterKey's own flag
                key._disabled = not now
                key.set_class(not now, "-disabled")
                key.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.compact = self.app.size.width < NAMED_FROM  # one cell less a key: the screen's keys stay in view
        for keys in self.query(ScreenKeys):  # names shown or not: they depend on the terminal's width
            keys.refresh(layout=True)

    def compose(self) -> ComposeResult:
        watchers = getattr(self, "__watchers", None)  # Textual's own attribute name (reactive._watch)
        if watchers:
            for entries in watchers.values():
                entries[:] = [(node, callback) for node, callback in entries
                              if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))]
        if self._bindings_ready:
            yield ScreenKeys()
        yield from super().compose()
