"""Virtual time for moto's Step Functions interpreter: a 30-day wait in a few milliseconds.

moto runs each execution in threads that really wait: `Event.wait(TimeoutSeconds)` for a
`.waitForTaskToken` task (or `HeartbeatSeconds` at a time when the task has a heartbeat),
`time.sleep` for a Retry's back-off, `Event.wait(seconds)` in a Wait state (a Timestamp's
seconds counted from `datetime.now()`). While
`on_virtual_time(clock)` is in force those waits are taken on `VirtualTime` instead (moto's own
code is untouched; a few of its attributes are swapped and put back):

- a *leaf* wait is where an execution is idle: a callback task waiting for its token (or for its
  next heartbeat), a Retry back-off, a Wait state. It ends when its event is set
  (SendTaskSuccess/Failure/Heartbeat) or its task's frame stops running, or when the virtual
  clock reaches its deadline.
- the task's outer timeout (ExecuteState's own wait on the task it runs, TimeoutSeconds) is not
  a leaf: it ends when the task ends, or once the clock reaches its deadline plus OUTER_AFTER_S,
  so when a callback wait and the outer timeout fall due together the callback's States.Timeout
  comes first (one TaskTimedOut event, as on AWS); a task that heartbeats is timed out by it.

Nothing advances the clock but the driver (`local.py`): when every RUNNING execution is idle in a
leaf wait (`idle_count() >= running executions`), it moves the clock to the earliest deadline or
scheduled action, whichever comes first. A Lambda handler takes no virtual time.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: How long a waiting thread sleeps before it looks again (real seconds) when nothing woke it:
#: answers (SendTask*, a task ending) and clock moves wake waiters at once; this only bounds how
#: late a StopExecution is noticed in a Wait state.
POLL_S = 0.05
#: How long after its deadline a task's outer timeout fires (virtual seconds): see the docstring.
OUTER_AFTER_S = 0.001


@dataclass(eq=False)
class _Wait:
    event: threading.Event
    deadline: float                      # virtual seconds since the start; inf: no deadline
    interrupted: Callable[[], bool] | None = None

    def idle(self, now: float) -> bool:
        """Still waiting for the clock (not answered, not interrupted, deadline ahead)."""
        return not self.event.is_set() and not (self.interrupted and self.interrupted()) and self.deadline > now


class VirtualTime:
    """A clock only the driver moves; interpreter threads wait on it."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._now = 0.0
        self._cond = threading.Condition()
        self._leaves: set[_Wait] = set()
        self._outer: set[_Wait] = set()
        self._closed = False

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self._now)

    @property
    def seconds(self) -> float:
        return self._now

    def wait(self, event: threading.Event, timeout: float | None, *, leaf: bool,
             interrupted: Callable[[], bool] | None = None) -> bool:
        """Event.wait(timeout) on virtual time: True when the event was set."""
        due = math.inf if timeout is None else self._now + max(0.0, float(timeout)) + (0.0 if leaf else OUTER_AFTER_S)
        w = _Wait(event, due, interrupted)
        with self._cond:
            (self._leaves if leaf else self._outer).add(w)
            if leaf:
                self._cond.notify_all()  # the driver may be waiting for this execution to go idle
            try:
                while not event.is_set():
                    if interrupted is not None and interrupted():
                        break
                    if self._closed:
                        self._cond.release()
                        try:
                            threading.Event().wait()  # parked for good (see close)
                        finally:
                            self._cond.acquire()
                    if self._now >= w.deadline:
                        break
                    self._cond.wait(POLL_S)
                return event.is_set()
            finally:
                self._leaves.discard(w)
                self._outer.discard(w)

    def sleep(self, seconds: float, interrupted: Callable[[], bool] | None = None) -> None:
        self.wait(threading.Event(), seconds, leaf=True, interrupted=interrupted)

    def idle_count(self) -> int:
        """How many leaf waits are idle right now (the driver's test for "nothing can move")."""
        with self._cond:
            return sum(1 for w in self._leaves if w.idle(self._now))

    def next_deadline(self) -> float:
        """The earliest deadline of an idle wait, a leaf's or a task's outer timeout (virtual
        seconds; inf: none)."""
        with self._cond:
            return min((w.deadline for w in self._leaves | self._outer if w.idle(self._now)), default=math.inf)

    def notify(self) -> None:
        """Something a waiter may be waiting for happened (an event was set)."""
        with self._cond:
            self._cond.notify_all()

    def settle(self, timeout_s: float) -> None:
        """The driver's nap: until a waiter registers or an event is set, at most `timeout_s`."""
        with self._cond:
            self._cond.wait(timeout_s)

    def advance_to(self, seconds: float) -> None:
        with self._cond:
            self._now = max(self._now, seconds)
            self._cond.notify_all()

    def close(self) -> None:
        """The run is over. A thread still waiting (only when a run hit its bound) stays parked for
        good: released, it would carry on outside the mock and call the services or AWS."""
        with self._cond:
            self._closed = True


class _VirtualEvent(threading.Event):
    """The Event ExecuteState waits on for its task: a non-leaf wait on the virtual clock."""

    clock: VirtualTime

    def wait(self, timeout: float | None = None) -> bool:
        return self.clock.wait(self, timeout, leaf=False)

    def set(self) -> None:
        super().set()
        self.clock.notify()


@contextmanager
def on_virtual_time(clock: VirtualTime) -> Iterator[None]:
    """Make moto's interpreter wait on `clock` (inside a `mock_aws()`); undone on exit."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as service_callback,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
        timestamp,
        wait_function,
    )
    from moto.stepfunctions.parser.asl.eval.callback import callback

    event_type = type("VirtualEvent", (_VirtualEvent,), {"clock": clock})

    class _Threading:
        """What ExecuteState reads from `threading`: its Event is on virtual time."""

        Event = event_type

        def __getattr__(self, name: str) -> Any:
            return getattr(threading, name)

    class _Time:
        """What a Retrier reads from `time`: its back-off sleeps on virtual time."""

        @staticmethod
        def sleep(seconds: float) -> None:
            clock.sleep(seconds)

        def __getattr__(self, name: str) -> Any:
            import time

            return getattr(time, name)

    class _VirtualDatetime(datetime):
        """What a Wait state's Timestamp reads the time from (moto: naive datetime.now())."""

        @classmethod
        def now(cls, tz: Any = None) -> Any:
            t = clock.now()
            return t.astimezone(tz) if tz is not None else t.replace(tzinfo=None)

    class _DatetimeModule:
        """What Timestamp/TimestampPath read from `datetime`: its `datetime` is on virtual time."""

        datetime = _VirtualDatetime

        def __getattr__(self, name: str) -> Any:
            import datetime as real

            return getattr(real, name)

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        clock.sleep(wait_seconds, interrupted=lambda: not env.is_running())

    waiting = threading.local()  # the task frame a thread's callback wait belongs to

    def task_running() -> Callable[[], bool] | None:
        env = getattr(waiting, "env", None)
        return None if env is None else (lambda: not env.is_running())

    def with_frame(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(self: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
            waiting.env = env  # the task's frame: its outer timeout or a StopExecution ends it
            try:
                return original(self, env, *args, **kwargs)
            finally:
                waiting.env = None

        return wrapped

    def callback_wait(self: Any, timeout: float | None = None) -> Any:
        clock.wait(self._notify_event, timeout, leaf=True, interrupted=task_running())
        return self._outcome

    def heartbeat_wait(self: Any) -> bool:
        with self._mutex:
            if self._next_heartbeat_event.is_set():
                self._next_heartbeat_event.clear()
                return True
        return clock.wait(self._next_heartbeat_event, self._heartbeat_seconds, leaf=True, interrupted=task_running())

    heartbeat_notify = callback.HeartbeatEndpoint.__dict__["notify"]

    def heartbeat(self: Any) -> None:
        heartbeat_notify(self)
        clock.notify()

    callback_notify = callback.CallbackEndpoint.__dict__["notify"]

    def notify(self: Any, outcome: Any) -> None:
        callback_notify(self, outcome)
        clock.notify()

    saved = [(execute_state, "threading", execute_state.threading), (retrier_decl, "time", retrier_decl.time),
             (timestamp, "datetime", timestamp.datetime),
             (wait_function.WaitFunction, "_wait_interval", wait_function.WaitFunction.__dict__["_wait_interval"]),
             (callback.CallbackEndpoint, "wait", callback.CallbackEndpoint.__dict__["wait"]),
             (callback.CallbackEndpoint, "notify", callback_notify),
             (callback.HeartbeatEndpoint, "clear_and_wait", callback.HeartbeatEndpoint.__dict__["clear_and_wait"]),
             (callback.HeartbeatEndpoint, "notify", heartbeat_notify)]
    waits = {name: service_callback.StateTaskServiceCallback.__dict__[name]
             for name in ("_wait_for_task_token_heartbeat", "_eval_wait_for_task_token")}
    saved += [(service_callback.StateTaskServiceCallback, name, fn) for name, fn in waits.items()]
    execute_state.threading = _Threading()  # type: ignore[assignment]
    retrier_decl.time = _Time()  # type: ignore[assignment]
    timestamp.datetime = _DatetimeModule()  # type: ignore[assignment]
    wait_function.WaitFunction._wait_interval = wait_interval  # type: ignore[method-assign]
    callback.CallbackEndpoint.wait = callback_wait  # type: ignore[method-assign]
    callback.CallbackEndpoint.notify = notify  # type: ignore[method-assign]
    callback.HeartbeatEndpoint.clear_and_wait = heartbeat_wait  # type: ignore[method-assign]
    callback.HeartbeatEndpoint.notify = heartbeat  # type: ignore[method-assign]
    for name, fn in waits.items():
        setattr(service_callback.StateTaskServiceCallback, name, with_frame(fn))
    try:
        yield
    finally:
        clock.close()
        for owner, name, value in saved:
            setattr(owner, name, value)
