"""The one awaitable workflow code may await: resolved by the driver, never by an event loop."""

from __future__ import annotations

from typing import Any, Callable, Generator


class WorkflowFuture:
    """A result that arrives later (from history or from other workflow code)."""

    __slots__ = ("_done", "_result", "_exception", "_callbacks", "label")

    def __init__(self, label: str = "") -> None:
        self._done = False
        self._result: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[["WorkflowFuture"], None]] = []
        self.label = label

    def done(self) -> bool:
        return self._done

    def set_result(self, value: Any) -> None:
        if not self._done:
            self._done, self._result = True, value
            self._fire()

    def set_exception(self, exc: BaseException) -> None:
        if not self._done:
            self._done, self._exception = True, exc
            self._fire()

    def _fire(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(self)

    def add_done_callback(self, cb: Callable[["WorkflowFuture"], None]) -> None:
        if self._done:
            cb(self)
        else:
            self._callbacks.append(cb)

    def result(self) -> Any:
        if self._exception is not None:
            raise self._exception
        return self._result

    def __await__(self) -> Generator["WorkflowFuture", None, Any]:
        if not self._done:
            yield self
        return self.result()

    def __repr__(self) -> str:
        return f"<WorkflowFuture {self.label} {'done' if self._done else 'pending'}>"
