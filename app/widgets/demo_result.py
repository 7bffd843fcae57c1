"""A lesson's demo result as a student reads it: the headline, a table of figures, the account.

`lessons.demos` hands back data (figures are ints, floats, lists, dicts, engine status enums) so
its tests can check the numbers; printing that with `str()` showed Python's dicts, quotes and
`<WorkflowExecutionStatus.COMPLETED: 'Completed'>`. Here each kind of value has its reading:
a dict is a small table of its own, a list a comma list, an amount in cents dollars, a status its
word, True/False yes/no, an identifier (long_wait) its words, and the words that carry a scene's point — scene 04's blue and red, a
verdict's serves/limited/cannot — in their colour. Every piece is a rich Text built from plain
strings: nothing a demo returns is read as markup.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from app.widgets.card import terminal_safe

#: Words whose colour is the point (scene 04 colours code blue and activities red; the verifier grades).
#: Blue and red as true colours: a theme maps the terminal's ANSI "blue" to its own (textual-dark's is violet),
#: and scene 04 is about the colour blue. Both read on the dark themes and on the light projector theme.
BLUE, RED = "bold #2f81f7", "bold #e5303a"
WORD_STYLES = {"blue": BLUE, "red": RED, "serves": "bold green", "limited": "bold yellow",
               "cannot": "bold red", "succeeded": "green", "completed": "green", "failed": "red",
               "terminated": "red", "timed_out": "red", "running": "yellow"}
#: The same words in capitals inside a sentence ("Workflow code is BLUE").
SENTENCE_WORDS = {"BLUE": BLUE, "RED": RED}


def figure_name(name: str) -> str:
    """`statement_cents` → "statement", `gaps_s` → "gaps (s)", `code_runs` → "code runs"."""
    for suffix, unit in (("_cents", ""), ("_s", " (s)"), ("_ms", " (ms)"), ("_hours", " (hours)")):
        if name.endswith(suffix):
            name = name[: -len(suffix)] + unit
            break
    return name.replace("_", " ")


def value_text(value: Any, name: str = "") -> Text:
    """One value as words: yes/no, a status's word, dollars for cents, a coloured keyword."""
    if value is None:
        return Text("—", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no", style="green" if value else "")
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, (int, float)):
        if name.endswith("_cents"):
            return Text(f"${value / 100:,.2f}")
        if isinstance(value, float):
            return Text(f"{value:g}")
        return Text(str(value))
    if isinstance(value, (list, tuple)):
        out = Text()
        for i, item in enumerate(value):
            if i:
                out.append(", ")
            out.append_text(value_text(item))
        return out if value else Text("none", style="dim")
    text = terminal_safe(str(value))
    style = WORD_STYLES.get(text.lower(), "")
    return Text(text.replace("_", " "), style=style)  # an identifier (long_wait) read as words


def value_view(value: Any, name: str = "", depth: int = 0) -> RenderableType:
    """A value as a renderable: a figure's dict a two-column table, a dict inside it one wrapped line."""
    if isinstance(value, dict) and value and depth == 0:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="cyan")
        table.add_column()
        for key, item in value.items():
            table.add_row(Text(terminal_safe(str(key))), value_view(item, str(key), depth + 1))
        return table
    if isinstance(value, dict):  # e.g. scene 12's grades: requirement → serves/limited/cannot
        out = Text()
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(" · ", style="dim")
            out.append(terminal_safe(str(key)).replace("_", " ") + ": ")
            out.append_text(value_text(item, str(key)) if not isinstance(item, dict) else Text(str(len(item))))
        return out if value else Text("none", style="dim")
    return value_text(value, name)


def sentence(line: str, style: str = "") -> Text:
    """A line of the account, its colour words (BLUE, RED) in colour."""
    text = Text(terminal_safe(line), style=style)
    for word, word_style in SENTENCE_WORDS.items():
        text.highlight_regex(rf"\b{word}\b", word_style)
    return text


def figure_views(figures: dict[str, object]) -> list[RenderableType]:
    """Figures in order: runs of plain ones as a two-column table; a dict under its name, indented."""
    views: list[RenderableType] = []
    table: Table | None = None
    for name, value in figures.items():
        label = Text(figure_name(terminal_safe(str(name))), style="bold cyan")
        if isinstance(value, dict) and value:
            table = None
            views += [label, Padding(value_view(value, str(name)), (0, 0, 0, 2))]
            continue
        if table is None:
            table = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False, expand=False)
            table.add_column(no_wrap=True)
            table.add_column()
            views.append(table)
        table.add_row(label, value_view(value, str(name)))
    return views


def demo_view(headline: str, figures: dict[str, object], lines: list[str]) -> RenderableType:
    """The whole result: headline, figures (a table), then the account as bullets."""
    parts: list[RenderableType] = [sentence(headline, "bold")]
    if figures:
        parts.append(Text(""))
        parts += figure_views(figures)
    if lines:
        parts.append(Text(""))
        bullets = Table.grid(padding=(0, 1))
        bullets.add_column(no_wrap=True)
        bullets.add_column()
        for line in lines:
            bullets.add_row(Text("•"), sentence(line))
        parts.append(bullets)
    return Group(*parts)
