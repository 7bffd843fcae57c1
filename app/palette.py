"""The command palette screen, hardened against three races in Textual 8.2.8.

When keys arrive faster than the palette can handle them (a paste, a fast typist, the monkey
test), an `Input.Changed` can start a search after the palette has begun closing; Textual's
search worker then fails with `NoMatches('CommandList')` and the whole app exits. A search for
a palette that no longer has its list is simply dropped here. Likewise a second "select"
that arrives after the first one closed the palette (and perhaps switched mode) would pop a
screen off another mode's stack; a palette that is not the active screen does not dismiss.
"""

from __future__ import annotations

import asyncio

from textual import work
from textual.await_complete import AwaitComplete
from textual.command import CommandList, CommandPalette
from textual.css.query import NoMatches


class SafeCommandPalette(CommandPalette):
    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        if not self.query(CommandList):
            return  # closing: nothing to fill
        try:
            await CommandPalette._gather_commands.__wrapped__(self, search_value)  # type: ignore[attr-defined]
        except NoMatches:
            if self.query(CommandList):
                raise  # a real fault, not the closing race

    def _action_command_list(self, action: str) -> None:
        # page_up/page_down on a list that has options but is not laid out yet (it appears a
        # moment after the first hit) index a line map that is still empty: a no-op here.
        try:
            super()._action_command_list(action)
        except (KeyError, IndexError):
            pass

    def dismiss(self, result=None) -> AwaitComplete:  # type: ignore[override]
        if not self.is_active:
            return AwaitComplete(asyncio.sleep(0))  # already closed by an earlier selection
        return super().dismiss(result)
