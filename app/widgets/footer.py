"""The app's footer: Textual's Footer without its slow leak.

Textual's Footer recomposes its keys whenever the screen's bindings are refreshed (every run,
every focus move, whether anything shown changed or not) and binds each new key's `compact` to
its own with `data_bind`. Two things then kept dead keys alive: the Footer's watcher list, pruned
only when `compact` itself changes (never, here), and Textual's `lru_cache(1024)` on a StylesCache
method, which holds the style caches of the last 1,024 dead widgets. Every re-run of the
side-by-side view left 14 keys behind (the app grew 35% over 30 re-runs, bench/tui_memory.py).
So this footer recomposes only when the keys it shows changed (a key merely dimmed or lit is
updated in place), and prunes the watchers of keys already removed before it does.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


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

    def compose(self) -> ComposeResult:
        watchers = getattr(self, "__watchers", None)  # Textual's own attribute name (reactive._watch)
        if watchers:
            for entries in watchers.values():
                entries[:] = [(node, callback) for node, callback in entries
                              if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))]
        yield from super().compose()
