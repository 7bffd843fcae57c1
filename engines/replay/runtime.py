"""What workflow code's `ctx` needs from the thing that runs it: the workflow runtime.

`WorkflowContext` (what the code calls) and the replay `Driver` (what steps the code against its
history) used to know each other's classes. The context only ever asks the runtime a few
questions and hands it commands, so it talks to this Protocol instead (temporalio's workflow
module does the same with its `_Runtime`); the driver implements it, and anything else that can
answer it, a test double for instance, can run a context too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol, TypeVar

from engines.replay import commands as cmd
from engines.replay.futures import WorkflowFuture

H = TypeVar("H", bound=WorkflowFuture)


class WorkflowRuntime(Protocol):
    """The runtime side of one activation of workflow code."""

    @property
    def now(self) -> datetime:
        """The time of the current workflow task: the same on every replay."""
        ...

    @property
    def replaying(self) -> bool:
        """Is the code re-issuing commands the history already holds?"""
        ...

    @property
    def history_length(self) -> int:
        """Events in the history up to the current workflow task."""
        ...

    @property
    def suggest_limit(self) -> int:
        """The history length at which continue-as-new is suggested."""
        ...

    def check_not_query(self, what: str) -> None:
        """Refuse a command while a query handler runs (queries must not change the workflow)."""
        ...

    def schedule_activity(self, command: cmd.ScheduleActivityTask) -> WorkflowFuture: ...

    def schedule_local_activity(self, command: cmd.ScheduleLocalActivity) -> WorkflowFuture:
        """One attempt; the future gets the outcome marker's attributes."""
        ...

    def start_timer(self, command: cmd.StartTimer) -> WorkflowFuture: ...

    def cancel_timer(self, timer_id: str) -> None: ...

    def add_condition(self, fn: Callable[[], bool]) -> WorkflowFuture:
        """A future set to True once `fn()` is true (re-checked whenever the code has run)."""
        ...

    def start_child(self, command: cmd.StartChildWorkflowExecution, handle: H) -> H:
        """Issue the command; `handle` resolves with the child's result."""
        ...

    def patch(self, patch_id: str) -> bool:
        """A version gate: True on the new code path (a marker is recorded or replayed)."""
        ...

    def spawn(self, aw: Awaitable[Any]) -> WorkflowFuture:
        """Run a coroutine of workflow code alongside the others (for `ctx.gather`)."""
        ...
