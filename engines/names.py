"""The three engines' names: the one place they are spelled (cheap to import: no pydantic).

The app's first frame imports this, so it holds nothing but the names.
"""

from __future__ import annotations

from typing import Literal

EngineName = Literal["replay", "dag", "statemachine"]
#: In the order every side-by-side view shows them.
ENGINES: tuple[EngineName, ...] = ("replay", "dag", "statemachine")
