"""Fitting a picture's lines to its column: cut with an ellipsis, never wrapped.

Textual turns a Rich `Text` into its own content and wraps it to the widget's width, whatever the
Text's `no_wrap`; a grid row or a code line that wraps stops reading as a row. Pictures build
their rows as Texts and pass them through `cropped`; lines that must be read whole (the cancel
that found no running actor, a Catch taken) are left to wrap.
"""

from __future__ import annotations

from rich.text import Text


def cropped(line: Text, width: int) -> Text:
    """`line` cut to `width` cells, the last one an ellipsis when anything was cut."""
    if line.cell_len <= width:
        return line
    out = line.copy()
    out.truncate(max(1, width), overflow="ellipsis")
    return out


def join(lines: list[Text]) -> Text:
    return Text("\n").join(lines)
