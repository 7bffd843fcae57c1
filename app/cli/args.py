"""argparse types for bounded numbers and non-empty words: a bad value is argparse's one-line error.

`type=day_arg` turns `--day nan`, `--day 1e308` and `--day -1` into
`error: argument --day: ...` with the bound in the message, exit code 2, and no traceback.
"""

from __future__ import annotations

import argparse
import math
from typing import Callable

#: The longest virtual span any scenario action may name: Step Functions' one-year execution limit, ×10.
MAX_DAY = 3650.0


def bounded_float(low: float, high: float, *, unit: str = "") -> Callable[[str], float]:
    """An argparse type: a finite float in [low, high]."""
    suffix = f" {unit}" if unit else ""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number (expected {low:g} to {high:g}{suffix})")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value:g} is out of range (expected {low:g} to {high:g}{suffix})")
        return value

    parse.__name__ = "number"
    return parse


def bounded_int(low: int, high: int, *, unit: str = "") -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""
    suffix = f" {unit}" if unit else ""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range (expected {low} to {high}{suffix})")
        return value

    parse.__name__ = "integer"
    return parse


def word(text: str) -> str:
    """An argparse type: a non-empty name with no control characters (scenario, workload, id)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise argparse.ArgumentTypeError(f"{text!r} contains a control character")
    return text


#: `--day`: a virtual day from 0 up to ten years.
day_arg = bounded_float(0, MAX_DAY, unit="days")
