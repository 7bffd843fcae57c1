"""A Select whose open list ignores page keys until it has been laid out.

Textual's OptionList maps options to lines when it is laid out; a page-up/down that reaches an
overlay opened (or refilled) in the same burst of keys reads that map before it exists and raises
KeyError (the suite's monkey test found it: `p` opens the scenario picker, a `pagedown` queued
behind it lands before the first layout). Until the list is drawn, a page key has nothing to page
through, so it does nothing; the keys after it work on the drawn list.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay


class _DrawnOverlay(SelectOverlay):
    def _move_page(self, direction) -> None:  # type: ignore[no-untyped-def]
        if (self.highlighted or 0) not in self._index_to_line:
            return  # not laid out since its options were set: nothing to page through yet
        super()._move_page(direction)


class Picker(Select):
    """`Select`, with an overlay that is safe against page keys before its first layout."""

    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield _DrawnOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)
