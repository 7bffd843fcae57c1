"""The saga helper: register a compensation after each step, compensate in reverse.

Compensations are activities, so they are recorded and retried like any other (a refund that
hits a 503 is tried again); the history keeps both the charge and the refund.
"""

from __future__ import annotations

from typing import Any, Callable

from engines.replay.activity import activity_name
from engines.replay.context import WorkflowContext
from engines.replay.retry import RetryPolicy


class Saga:
    def __init__(self, ctx: WorkflowContext, retry: RetryPolicy | None = None) -> None:
        self.ctx = ctx
        self.retry = retry
        self._steps: list[tuple[Callable | str, tuple, dict]] = []
        self.compensated: list[str] = []

    def add(self, compensation: Callable | str, *args: Any, **options: Any) -> None:
        """Remember how to undo the step that just succeeded."""
        if self.retry is not None:
            options.setdefault("retry", self.retry)
        self._steps.append((compensation, args, options))

    @property
    def pending(self) -> list[str]:
        return [activity_name(fn) for fn, _, _ in self._steps]

    async def compensate(self) -> list[str]:
        """Run the compensations newest first; returns their names in the order they ran."""
        while self._steps:
            fn, args, options = self._steps.pop()
            await self.ctx.activity(fn, *args, **options)
            self.compensated.append(activity_name(fn))
        return list(self.compensated)
