"""What a state family's code may ask of the interpreter that drives it.

The state families (flow, choice_state, wait, task, fanout, error_handling) call back into the
interpreter: a Task that succeeds leaves its state, a failing branch hands its error to
Retry/Catch, a Catch moves the thread on. Those calls go through this Protocol rather than an
import of the interpreter, so the families depend on a description of it, never on each other
or on the module that imports them all: the package's import graph has no cycle, not even a
type-only one.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from engines.clock import Clock
from engines.statemachine.dataflow import StateView
from engines.statemachine.execution import Execution
from engines.statemachine.history import HistoryEventType
from engines.statemachine.resources import Resources
from engines.statemachine.tables import ExecutionStore
from engines.statemachine.threads import Thread
from engines.trace import TraceRecorder


class Runtime(Protocol):
    clock: Clock
    tables: ExecutionStore
    resources: Resources
    recorder: TraceRecorder
    rng: random.Random                    # retry jitter, seeded: the same run jitters the same way
    invoking: set[tuple[str, str]]        # (execution, thread) whose task callable is running now

    @property
    def facade(self) -> Any:
        """The public `Engine`, which task callables get as `TaskContext.engine`."""
        ...

    def state_of(self, ex: Execution, th: Thread) -> dict:
        """The definition of the state `th` is in."""
        ...

    def view(self, ex: Execution, th: Thread, state: dict, *, item: dict | None = None) -> StateView:
        """What `state`'s fields see now: th's input, a fresh Context object, th's variables, the state's language."""
        ...

    def event(self, ex: Execution, kind: HistoryEventType, state: str | None, **details: Any) -> None:
        """Append a history event (written at the next checkpoint) and show it in the trace."""
        ...

    def checkpoint(self, ex: Execution) -> None:
        """Write the pending history events and the snapshot, in one transaction."""
        ...

    def transitioned(self, ex: Execution) -> None:
        """A transition with no side effect: checkpointed now, or by the drain under way."""
        ...

    def arm(self, ex: Execution) -> None:
        """Make sure a clock timer stands for every due time the execution waits on."""
        ...

    def ready(self, ex: Execution, th: Thread) -> None:
        """Queue `th` to be stepped (in this drain, or the next one)."""
        ...

    def new_thread(self, ex: Execution, parent: Thread | None, scope: str, state: str, data: Any,
                   variables: dict[str, Any], slot: int = 0, item: dict[str, Any] | None = None) -> Thread:
        """A new active thread about to enter `state` of `scope`."""
        ...

    def exit(self, ex: Execution, th: Thread, state: dict, result: Any, *, next_state: str | None = None,
             rule: dict | None = None) -> None:
        """Leave the state: output and Assign by the data flow, …StateExited, then on to the next state."""
        ...

    def goto(self, ex: Execution, th: Thread, state: dict, output: Any, next_state: str | None) -> None:
        """Move to `next_state` (or the state's Next) with `output` as input, or end the thread."""
        ...

    def state_error(self, ex: Execution, th: Thread, state: dict, error: str, cause: str,
                    also: tuple[str, ...] = ()) -> None:
        """The state failed: Retry, else Catch, else the thread fails (`also`: more names a retrier or catcher may match)."""
        ...

    def thread_failed(self, ex: Execution, th: Thread, error: str, cause: str) -> None:
        """End `th` FAILED: the execution fails, or its parent Parallel/Map hears of it."""
        ...
