"""The replay driver: runs workflow code against its history, with no event loop and no threads.

A replay runs the code from the top. The history is cut into activations, one per completed
workflow task: the driver hands the code the inputs that task saw (activity results, timer fires,
signals…), steps the coroutines by hand (`send` / `throw`) until all of them wait, and checks
every command the code issues against the events that task recorded. The last activation is
live: its commands are new and become new events.

A worker may keep a driver between workflow tasks (Temporal's sticky execution): `advance`
first replays from the top like `run`, then each later call takes only the events recorded since
the previous call's WorkflowTaskStarted. Those must continue exactly what the driver saw: the
WorkflowTaskCompleted of its own live task, the events its commands became (which bind their
futures), inputs, and the new WorkflowTaskStarted last. Anything else (a failed or timed-out
task, another worker's task, a command recorded differently) raises `StaleState`: the caller
throws the driver away and replays from the top with a new one.

A local activity's MarkerRecorded is both: the command event of the task that ran it, and the
input (its outcome) of the next task, the one the worker starts right after recording it.
"""

from __future__ import annotations

import inspect
from asyncio import CancelledError
from collections import deque
from datetime import datetime
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from engines.replay import commands as cmd
from engines.replay.activation_jobs import ActivationJobs
from engines.replay.context import WorkflowContext, WorkflowInfo
from engines.replay.errors import (
    ActivityError,
    ChildWorkflowError,
    ContinueAsNewError,
    FailureError,
    NondeterminismError,
    QueryError,
    ReplayError,
    WorkflowTaskError,
    failure_from,
)
from engines.replay.futures import WorkflowFuture
from engines.replay.history import (
    CHILD_UNSUCCESSFUL_EVENTS,
    COMMAND_EVENTS,
    INPUT_EVENTS,
    EventType,
    HistoryEvent,
)
from engines.replay.payloads import to_payload
from engines.replay.sdk_flags import WRITTEN_FLAGS, CoreFlag, flags_of

H = TypeVar("H", bound=WorkflowFuture)


class _Evicted(BaseException):
    """Thrown into workflow code that tries to act after the driver is done with it."""


class StaleState(Exception):
    """The new events do not continue what this driver has seen: replay from the top instead."""


class _Task:
    __slots__ = ("coro", "waiting", "throw", "future", "main")

    def __init__(self, coro: Coroutine, future: WorkflowFuture, main: bool) -> None:
        self.coro = coro
        self.waiting: WorkflowFuture | None = None
        self.throw: BaseException | None = None
        self.future = future
        self.main = main


class Driver(ActivationJobs):
    """Replays one run. Create one per workflow task (or per query) and call `run` once, or keep
    one between a run's workflow tasks and call `advance` for each (then `close` it when done).

    It is the `WorkflowRuntime` the run's `WorkflowContext` talks to: the context hands it
    commands and asks it the time; the driver matches the commands against the history.
    """

    def __init__(self, fn: Callable[..., Coroutine], info: WorkflowInfo, *, suggest_limit: int = 4_096) -> None:
        self.fn = fn
        self.info = info
        self.suggest_limit = suggest_limit
        self.ctx = WorkflowContext(self, info)
        self.now: datetime = info.start_time
        self.replaying = False
        self.history_length = 0
        self.new_commands: list[cmd.Command] = []
        self.replayed_events = 0
        self.matched_commands = 0  # recorded commands the code re-issued on replay
        self.closed = False
        self._expected: deque[HistoryEvent] | None = None
        self._ready: deque[_Task] = deque()
        self._tasks: list[_Task] = []
        self._conditions: list[tuple[Callable[[], bool], WorkflowFuture]] = []
        self._activities: dict[int, WorkflowFuture] = {}
        self._activity_meta: dict[int, tuple[str, str]] = {}
        self._timers: dict[str, WorkflowFuture] = {}
        self._children: dict[int, WorkflowFuture] = {}
        self._local: dict[int, WorkflowFuture] = {}  # local-activity marker event id -> its attempt's future
        self._fatal: BaseException | None = None
        self._in_query = False
        self._finished = False
        self._pending: deque[HistoryEvent] = deque()  # inputs not yet handed to the code
        #: the live activation's commands (and their futures) until their events are seen
        self._unbound: deque[tuple[cmd.Command, WorkflowFuture | None]] | None = None
        self._live_started = 0  # event id of the WorkflowTaskStarted of the last live activation
        #: SDK flags the history recorded so far (Temporal's coreUsedFlags): they switch on replay checks
        self.flags: set[CoreFlag] = set()
        self._patch_ids: list[str] = []  # patches taken so far, for the TemporalChangeVersion upsert

    # --- entry points --------------------------------------------------------------------------
    def run(self, events: list[HistoryEvent], *, live: bool = True) -> list[cmd.Command]:
        """Replay `events` (which end with the current WorkflowTaskStarted when `live`).

        Returns the new commands of the live activation. Raises NondeterminismError or
        WorkflowTaskError; the caller records the failed workflow task.
        """
        try:
            return self._walk(events, live, resume=False)
        finally:
            self._finish()

    def advance(self, events: list[HistoryEvent]) -> list[cmd.Command]:
        """The new commands of the workflow task whose WorkflowTaskStarted ends `events`; the
        coroutines stay suspended for the next call. The first call replays the whole history
        from the top; later calls take only the events after the previous WorkflowTaskStarted.

        Raises `StaleState` when the events do not continue this driver's state (the caller
        closes it and replays from the top), and what `run` raises.
        """
        if self._finished:
            raise StaleState("the driver was closed")
        return self._walk(events, True, resume=self._unbound is not None)

    def flags_to_record(self) -> frozenset[CoreFlag]:
        """The SDK flags the live task's WorkflowTaskCompleted records: the ones this engine
        uses that the history has not recorded yet (Temporal writes each once, when first used)."""
        return WRITTEN_FLAGS - self.flags

    def close(self) -> None:
        """Let go of the run's coroutines (an evicted cached run)."""
        if not self._finished:
            self._finish()

    def _walk(self, events: list[HistoryEvent], live: bool, resume: bool) -> list[cmd.Command]:
        # locals: an enum member lookup costs about 0.1 µs, and this loop sees every event
        task_started, task_completed = EventType.WORKFLOW_TASK_STARTED, EventType.WORKFLOW_TASK_COMPLETED
        marker = EventType.MARKER_RECORDED
        pending = self._pending
        started: HistoryEvent | None = None
        self.new_commands = []
        self.replayed_events = 0
        n, k = len(events), 0
        if resume and (not n or events[-1].event_type != task_started):
            raise StaleState("the new events do not end with the workflow task to run")
        while k < n:
            e = events[k]
            t = e.event_type
            if t in INPUT_EVENTS:
                pending.append(e)
            elif t == task_started:
                if resume and (k != n - 1 or self._unbound is not None):
                    raise StaleState(f"workflow task {e.event_id} started before the cached one was recorded "
                                     "(it failed or timed out, or another worker ran the run)")
                started = e
            elif t == task_completed and self._unbound is not None:
                k = self._bind_recorded(events, k, pending)
                continue
            elif t == task_completed and started is not None:
                self.flags |= flags_of(e)
                j = k + 1
                expected: deque[HistoryEvent] = deque()
                while j < n and events[j].event_type in COMMAND_EVENTS:
                    recorded = events[j]
                    expected.append(recorded)
                    if recorded.event_type == marker and recorded.is_local_activity_marker():
                        pending.append(recorded)  # its outcome wakes the code in the next task
                    j += 1
                self._activate(pending, started, expected)
                self.replayed_events = j
                k = j
                continue
            elif resume and t in _TASK_ENDS:
                raise StaleState(f"event {e.event_id} ({t}) does not continue the cached workflow task")
            k += 1
        if live and started is not None and started is events[-1]:
            self._unbound = deque()
            self._live_started = started.event_id
            self._activate(pending, started, None)
        elif not live:
            last = events[-1] if events else None
            if last is not None:
                self.now = last.time
            self.history_length = len(events)
            self._activate_all(pending)
        return self.new_commands

    def _bind_recorded(self, events: list[HistoryEvent], k: int, pending: deque[HistoryEvent]) -> int:
        """events[k] completes the live activation: the command events after it are what its
        commands became; each binds its command's future to the event id. Returns the index
        after them."""
        unbound = self._unbound
        assert unbound is not None
        completed = events[k]
        self.flags |= flags_of(completed)
        if completed.attributes.get("started_event_id") != self._live_started:
            raise StaleState(f"event {completed.event_id} completes workflow task "
                             f"{completed.attributes.get('started_event_id')}, not the cached {self._live_started}")
        n, j = len(events), k + 1
        while j < n and events[j].event_type in COMMAND_EVENTS:
            recorded = events[j]
            if not unbound:
                raise StaleState(f"event {recorded.event_id} was recorded for no command of the cached workflow task")
            command, fut = unbound.popleft()
            if not _recorded_as(command, recorded):
                raise StaleState(f"event {recorded.event_id} ({cmd.describe_recorded(recorded)}) is not the cached "
                                 f"command {command.describe()}")
            self._bind(command, fut, recorded)
            if recorded.event_type == EventType.MARKER_RECORDED and recorded.is_local_activity_marker():
                pending.append(recorded)
            j += 1
        if unbound:
            raise StaleState(f"{len(unbound)} command(s) of the cached workflow task were not recorded")
        self._unbound = None
        return j

    def query(self, events: list[HistoryEvent], name: str, args: list) -> Any:
        """Answer a query from the replayed state; appends nothing."""
        self.run(events, live=False)
        self._in_query = True
        try:
            return to_payload(self.ctx._query(name, args), f"answer of query {name}")
        finally:
            self._in_query = False

    # --- activations -----------------------------------------------------------------------------
    def _activate(self, pending: deque[HistoryEvent], started: HistoryEvent, expected: deque[HistoryEvent] | None) -> None:
        self.now = started.time
        self.history_length = started.event_id
        self.replaying = expected is not None
        self._expected = expected
        while pending and pending[0].event_id < started.event_id:
            self._apply(pending.popleft())
        self._run_ready()
        if expected:
            e = expected[0]
            raise NondeterminismError(e.event_id, cmd.describe_recorded(e), "nothing more (the code issued no such command)",
                                      self.info.workflow_id)
        self._expected = None

    def _activate_all(self, pending: deque[HistoryEvent]) -> None:
        self.replaying = False
        self._expected = None
        while pending:
            self._apply(pending.popleft())
        self._run_ready()

    # --- stepping coroutines -------------------------------------------------------------------
    def _spawn(self, coro: Coroutine, main: bool = False) -> WorkflowFuture:
        task = _Task(coro, WorkflowFuture("task"), main)
        self._tasks.append(task)
        self._ready.append(task)
        return task.future

    def spawn(self, aw: Awaitable[Any]) -> WorkflowFuture:
        if not inspect.iscoroutine(aw):
            raise WorkflowTaskError(f"ctx.gather takes workflow futures or coroutines, not {type(aw).__name__}")
        return self._spawn(aw)

    def _run_ready(self) -> None:
        while True:
            while self._ready and not self.closed:
                self._step(self._ready.popleft())
                if self._fatal is not None:
                    raise self._fatal
            if self.closed or not self._check_conditions():
                return

    def _check_conditions(self) -> bool:
        fired = False
        for fn, fut in list(self._conditions):
            if fut.done():
                self._conditions.remove((fn, fut))
            elif fn():
                self._conditions.remove((fn, fut))
                fut.set_result(True)
                fired = True
        return fired

    def _step(self, task: _Task) -> None:
        try:
            if task.throw is not None:
                exc, task.throw = task.throw, None
                yielded = task.coro.throw(exc)
            else:
                yielded = task.coro.send(None)
        except StopIteration as stop:
            self._task_done(task, stop.value, None)
            return
        except BaseException as exc:  # noqa: BLE001 - every outcome of workflow code is handled
            self._task_done(task, None, exc)
            return
        if not isinstance(yielded, WorkflowFuture):
            self._fatal = WorkflowTaskError(
                f"workflow {self.info.workflow_type} awaited {yielded!r}: workflow code may only await ctx.* calls "
                "(no asyncio, no threads, no real sleeps)")
            return
        task.waiting = yielded

        def wake(f: WorkflowFuture, t: _Task = task) -> None:
            if t.waiting is f:
                t.waiting = None
                self._ready.append(t)

        yielded.add_done_callback(wake)

    def _task_done(self, task: _Task, result: Any, exc: BaseException | None) -> None:
        if isinstance(exc, (ReplayError, _Evicted)):
            self._fatal = self._fatal or exc
            return
        if self._fatal is not None:
            return
        if task.main or isinstance(exc, ContinueAsNewError):
            self._close(result, exc)
        elif exc is None:
            task.future.set_result(result)
        else:
            task.future.set_exception(exc)

    def _close(self, result: Any, exc: BaseException | None) -> None:
        if exc is None:
            command: cmd.Command = cmd.CompleteWorkflowExecution(result=to_payload(result, "workflow result"))
        elif isinstance(exc, ContinueAsNewError):
            command = cmd.ContinueAsNewWorkflowExecution(args=list(exc.args_))
        elif isinstance(exc, CancelledError) and self.ctx.cancel_requested:
            command = cmd.CancelWorkflowExecution()
        elif isinstance(exc, FailureError):
            command = cmd.FailWorkflowExecution(failure=exc.to_failure())
        elif isinstance(exc, CancelledError):
            command = cmd.FailWorkflowExecution(failure={"type": "CancelledError", "message": str(exc)})
        else:
            self._fatal = WorkflowTaskError(
                f"workflow {self.info.workflow_id} raised {type(exc).__name__}: {exc} (a bug, so the task is retried "
                "and the run stays open; raise ApplicationError to fail the workflow on purpose)")
            return
        self._issue(command)
        self.closed = True

    def _finish(self) -> None:
        self._finished = True
        for task in self._tasks:
            try:
                task.coro.close()
            except BaseException:  # noqa: BLE001 - code that refuses to stop is abandoned
                pass

    # --- commands ------------------------------------------------------------------------------
    def check_not_query(self, what: str) -> None:
        if self._in_query:
            raise QueryError(f"a query handler of {self.info.workflow_id} tried to {what}; queries must not change the workflow")
        if self._finished:
            raise _Evicted()

    def _issue(self, command: cmd.Command, fut: WorkflowFuture | None = None) -> HistoryEvent | None:
        """Match the command against the history (replay: binds `fut` to the recorded event) or
        record it as new (live: bound when its event is seen, see `_bind_recorded`)."""
        if self._fatal is not None:
            raise self._fatal
        if self._expected is None:
            self.new_commands.append(command)
            if self._unbound is not None:
                self._unbound.append((command, fut))
            return None
        if not self._expected:
            err = NondeterminismError(None, "no further command in this workflow task", command.describe(), self.info.workflow_id)
            self._fatal = err
            raise err
        event = self._expected[0]
        if not command.matches(event):
            err = NondeterminismError(event.event_id, cmd.describe_recorded(event, command.key_attr), command.describe(),
                                      self.info.workflow_id)
            self._fatal = err
            raise err
        if CoreFlag.ID_AND_TYPE_DETERMINISM_CHECKS in self.flags:
            id_attr = _ID_ATTRS.get(type(command))
            if id_attr is not None and event.attributes.get(id_attr) != getattr(command, id_attr):
                err = NondeterminismError(
                    event.event_id, f"{cmd.describe_recorded(event, command.key_attr)} with {id_attr} "
                                    f"{event.attributes.get(id_attr)!r}",
                    f"{command.describe()} with {id_attr} {getattr(command, id_attr)!r}", self.info.workflow_id)
                self._fatal = err
                raise err
        self._expected.popleft()
        self.matched_commands += 1
        self._bind(command, fut, event)
        return event

    def _bind(self, command: cmd.Command, fut: WorkflowFuture | None, event: HistoryEvent) -> None:
        """The future of a command that became `event` waits for the input that names its id."""
        if fut is None:
            return
        if isinstance(command, cmd.ScheduleActivityTask):
            self._activities[event.event_id] = fut
            self._activity_meta[event.event_id] = (command.activity_type, command.activity_id)
        elif isinstance(command, cmd.ScheduleLocalActivity):
            self._local[event.event_id] = fut
        elif isinstance(command, cmd.StartChildWorkflowExecution):
            self._children[event.event_id] = fut

    def schedule_activity(self, command: cmd.ScheduleActivityTask) -> WorkflowFuture:
        fut = WorkflowFuture(f"activity {command.activity_type}")
        self._issue(command, fut)
        return fut

    def schedule_local_activity(self, command: cmd.ScheduleLocalActivity) -> WorkflowFuture:
        """One attempt; the future gets the marker's attributes (result, or failure and backoff)."""
        fut = WorkflowFuture(f"local activity {command.activity_type}")
        self._issue(command, fut)
        return fut

    def start_timer(self, command: cmd.StartTimer) -> WorkflowFuture:
        fut = WorkflowFuture(f"timer {command.timer_id}")
        self._issue(command)
        self._timers[command.timer_id] = fut
        return fut

    def cancel_timer(self, timer_id: str) -> None:
        if self._timers.pop(timer_id, None) is not None and not self._finished:
            self._issue(cmd.CancelTimer(timer_id=timer_id))

    def add_condition(self, fn: Callable[[], bool]) -> WorkflowFuture:
        fut = WorkflowFuture("condition")
        self._conditions.append((fn, fut))
        return fut

    def start_child(self, command: cmd.StartChildWorkflowExecution, handle: H) -> H:
        self._issue(command, handle)
        return handle

    def patch(self, patch_id: str) -> bool:
        """Temporal's `patched`: live, the new path, recorded as a core_patch marker and the
        TemporalChangeVersion upsert after it; on replay, the new path only if the history has
        the marker here (an upsert after it is matched if recorded: older histories lack it)."""
        self.check_not_query("check a patch")
        marker = cmd.SetPatchMarker(patch_id=patch_id)
        if self._expected is None:  # live: new code path, and the marker that says so
            self._issue(marker)
            self._patch_ids.append(patch_id)
            self._issue(self._change_version())
            return True
        if self._expected and marker.matches(self._expected[0]):
            self._issue(marker)
            self._patch_ids.append(patch_id)
            if self._expected and self._expected[0].event_type == EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES \
                    and _CHANGE_VERSION in (self._expected[0].attributes.get("search_attributes") or {}):
                self._issue(self._change_version())
            return True
        return False

    def _change_version(self) -> cmd.UpsertWorkflowSearchAttributes:
        return cmd.UpsertWorkflowSearchAttributes(search_attributes={_CHANGE_VERSION: list(self._patch_ids)})


#: the search attribute Temporal's core sets after each patch marker: the patches the run took
_CHANGE_VERSION = "TemporalChangeVersion"
#: with SDK flag 1 (IdAndTypeDeterminismChecks) these commands' ids must match on replay too
_ID_ATTRS: dict[type, str] = {cmd.ScheduleActivityTask: "activity_id", cmd.ScheduleLocalActivity: "activity_id",
                              cmd.StartChildWorkflowExecution: "workflow_id"}

#: events that end a workflow task other than by completing it (or schedule the next one): in the
#: events a cached driver is handed, one before its own task completed means it was not recorded
_TASK_ENDS = frozenset({EventType.WORKFLOW_TASK_FAILED, EventType.WORKFLOW_TASK_TIMED_OUT})


def _recorded_as(command: cmd.Command, event: HistoryEvent) -> bool:
    """Is `event` what the server wrote for `command`? Same type and key, and the same ids."""
    if not command.matches(event):
        return False
    attrs = event.attributes
    for name in ("activity_id", "timer_id", "workflow_id", "attempt"):
        value = getattr(command, name, None)
        if value is not None and attrs.get(name) != value:
            return False
    return True
