"""The command palette screen, hardened against three races in Textual 8.2.8.

When keys arrive faster than the palette can handle them (a paste, a fast typist, the monkey
test), an `Input.Changed` can start a search after the palette has begun closing; Textual's
search worker then fails with `NoMatches('CommandList')` and the whole app exits. A search for
a palette that no longer has its list is simply dropped here. Likewise a second "select"
that arrives after the first one closed the palette (and perhaps switched mode) would pop a
screen off another mode's stack; a palette that is not the active screen does not dismiss.
And a palette opened just before a key switched mode mounts while another mode's stack is the
current one: Textual takes "the screen below the palette" as `screen_stack[-2]` of the current
stack (an IndexError on a one-screen stack, or the wrong screen); here it is the screen below the
palette in the stack that holds it.
"""

from __future__ import annotations

import asyncio

from textual import work
from textual.await_complete import AwaitComplete
from textual.command import CommandList, CommandPalette
from textual.events import Mount
from textual.screen import Screen
from textual.widget import Widget

from app.screens.guarded import StaleMouseGuard
from textual.css.query import NoMatches


class SafeCommandPalette(StaleMouseGuard, CommandPalette):
    def _on_mount(self, event: Mount) -> None:
        """Textual's palette mount, with the calling screen found in the stack that holds it.

        Handlers run down the class MRO, so CommandPalette's own `_on_mount` is stopped with
        prevent_default() and the Screen and Widget mounts it would have reached are called here.
        """
        event.prevent_default()
        Screen._on_mount(self, event)
        Widget._on_mount(self, event)
        holder = next((stack for stack in self.app._screen_stacks.values() if self in stack), None)
        if holder is None or holder.index(self) == 0:
            return  # already off every stack (closed before it mounted): nothing to set up
        below = holder[holder.index(self) - 1]
        self.app.post_message(CommandPalette.Opened())
        self._calling_screen = below
        style = self.get_visual_style("command-palette--highlight", partial=True)
        self._providers = [provider(below, style) for provider in self._provider_classes]
        for provider in self._providers:
            provider._post_init()
        self._gather_commands("")

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
