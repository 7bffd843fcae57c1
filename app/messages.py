"""App-level messages: screens post them up, the app acts (messages up, attributes down).

A screen never calls methods of the App subclass: it posts one of these, which bubbles from the
screen to the app. So the screens need no knowledge of the App class (no import cycle) and a
test can watch the messages with `message_hook`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from textual.message import Message

if TYPE_CHECKING:
    from workloads.runs import WorkloadRun


class RunsUpdated(Message):
    """A side-by-side result arrived (engine → run); the history inspector will show it."""

    def __init__(self, runs: Mapping[str, "WorkloadRun"]) -> None:
        super().__init__()
        self.runs = dict(runs)


class OpenRun(Message):
    """Show the side-by-side run of a workload, one scenario, optionally acting on a day."""

    def __init__(self, workload: str, scenario: str, day: float | None = None) -> None:
        super().__init__()
        self.workload = workload
        self.scenario = scenario
        self.day = day


class OpenMode(Message):
    """Switch the app to one of its modes (canvas, run, history, lessons)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
