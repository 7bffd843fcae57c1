"""The app's footer: Textual's Footer without its slow leak.

Textual's Footer recomposes its keys whenever the bindings change (every run, every focus move)
and binds each new key's `compact` to its own with `data_bind`. The Footer keeps a watcher per
bound key and prunes closed keys only when `compact` itself changes, which never happens here:
so every re-run of the side-by-side view left its old keys alive (14 a run; the app grew 35% over
30 re-runs, bench/tui_memory.py). Pruning the watchers of keys already removed, before each
recompose, keeps the footer's memory flat.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    def compose(self) -> ComposeResult:
        watchers = getattr(self, "__watchers", None)  # Textual's own attribute name (reactive._watch)
        if watchers:
            for entries in watchers.values():
                entries[:] = [(node, callback) for node, callback in entries
                              if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))]
        yield from super().compose()
