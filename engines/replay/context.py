"""The workflow context: everything workflow code may use, in the spirit of `temporalio.workflow`.

Workflow code must be deterministic: it reads time, randomness and ids only from here
(`ctx.now()`, `ctx.random()`, `ctx.uuid4()`), and it reaches the outside world only through
activities. Each call that changes the world issues a *command* to the runtime (the replay
driver), which records it as an event the first time and checks it against the history on every
replay. The context knows the runtime only as the `WorkflowRuntime` protocol.
"""

from __future__ import annotations

import hashlib
import inspect
import random as _random
import uuid
from asyncio import CancelledError
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, NoReturn

from engines.replay import commands as cmd
from engines.replay.activity import activity_name
from engines.replay.errors import ActivityError, ContinueAsNewError, QueryError, failure_from
from engines.replay.futures import WorkflowFuture
from engines.replay.payloads import to_payload
from engines.replay.retry import RetryPolicy
from engines.replay.runtime import WorkflowRuntime
from engines.replay.workflow import workflow_name

# workflow_name is also re-exported here: app/cli/replay_cmd.py imports it from this module
__all__ = ["ChildWorkflowHandle", "SignalBox", "WorkflowContext", "WorkflowInfo", "run_seed", "workflow_name"]

DEFAULT_START_TO_CLOSE = timedelta(seconds=10)


@dataclass(frozen=True)
class WorkflowInfo:
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    start_time: datetime
    continued_from_run_id: str | None = None
    parent_workflow_id: str | None = None


def run_seed(run_id: str) -> int:
    """The seed of `ctx.random()`: the run id's SHA-256 as an int. A replay in another process
    (or on another machine) must draw the same numbers, so no salted `hash()`."""
    return int.from_bytes(hashlib.sha256(run_id.encode("utf-8")).digest(), "big")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class SignalBox:
    """Every signal the run received, readable as `ctx.signals.cancel_order` (or `cancelOrder`).

    An attribute reads the last payload (True for a signal sent without one), None if not received.
    """

    def __init__(self) -> None:
        self._got: dict[str, list[Any]] = {}

    def _add(self, name: str, payload: Any) -> None:
        self._got.setdefault(name, []).append(payload)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        got = self._got.get(name) or self._got.get(_camel(name))
        if not got:
            return None
        return True if got[-1] is None else got[-1]


class ChildWorkflowHandle(WorkflowFuture):
    """A started child workflow; await it for its result (ChildWorkflowError if it failed)."""

    __slots__ = ("workflow_id", "workflow_type")

    def __init__(self, workflow_id: str, workflow_type: str) -> None:
        super().__init__(f"child {workflow_id}")
        self.workflow_id = workflow_id
        self.workflow_type = workflow_type


class WorkflowContext:
    """What workflow code receives as `ctx`."""

    def __init__(self, runtime: WorkflowRuntime, info: WorkflowInfo) -> None:
        self._runtime = runtime
        self.info = info
        self.signals = SignalBox()
        self.cancel_requested = False
        self._activity_seq = 0
        self._timer_seq = 0
        self._query_handlers: dict[str, Callable[..., Any]] = {}
        self._patches: dict[str, bool] = {}
        self._random = _random.Random(run_seed(info.run_id))

    # --- deterministic replacements ----------------------------------------------------------
    def now(self) -> datetime:
        """The time of the current workflow task: the same on every replay."""
        return self._runtime.now

    def random(self) -> _random.Random:
        """A random generator seeded from the run id: the same numbers on every replay."""
        return self._random

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    @property
    def is_replaying(self) -> bool:
        """True while the code re-issues commands the history already holds (temporalio's
        `workflow.unsafe.is_replaying`): e.g. to skip logging what was logged the first time."""
        return self._runtime.replaying

    @property
    def history_length(self) -> int:
        """Events in this run's history so far (Temporal: get_current_history_length)."""
        return self._runtime.history_length

    def is_continue_as_new_suggested(self) -> bool:
        return self._runtime.history_length >= self._runtime.suggest_limit

    # --- activities ---------------------------------------------------------------------------
    def start_activity(self, activity: Callable | str, *args: Any, activity_id: str | None = None,
                       retry: RetryPolicy | None = None, start_to_close_timeout: timedelta = DEFAULT_START_TO_CLOSE,
                       schedule_to_close_timeout: timedelta | None = None, task_queue: str | None = None) -> WorkflowFuture:
        """Schedule an activity and return its future (await it for the result)."""
        self._runtime.check_not_query("schedule an activity")
        self._activity_seq += 1
        name = activity_name(activity)
        command = cmd.ScheduleActivityTask(
            activity_id=activity_id or str(self._activity_seq), activity_type=name,
            args=to_payload(list(args), f"input of activity {name}"), task_queue=task_queue or self.info.task_queue,
            retry_policy=(retry or RetryPolicy()).to_json(),
            start_to_close_seconds=start_to_close_timeout.total_seconds(),
            schedule_to_close_seconds=schedule_to_close_timeout.total_seconds() if schedule_to_close_timeout else None)
        return self._runtime.schedule_activity(command)

    def activity(self, activity: Callable | str, *args: Any, **options: Any) -> WorkflowFuture:
        """`await ctx.activity(charge_card, order, retry=RetryPolicy(...))`: run it, get its result."""
        return self.start_activity(activity, *args, **options)

    execute_activity = activity

    def local_activity(self, activity: Callable | str, *args: Any, activity_id: str | None = None,
                       retry: RetryPolicy | None = None,
                       start_to_close_timeout: timedelta = DEFAULT_START_TO_CLOSE) -> WorkflowFuture:
        """`await ctx.local_activity(charge_card, order)`: Temporal's local activity.

        No activity task and no queue: the worker holding this workflow task runs the function
        inline, records its outcome as a MarkerRecorded event (marker "LocalActivity") in the same
        transaction that completes the workflow task, and continues the code in a new workflow
        task it claims at once. On replay the marker hands the result back; the function is not
        called again. A crash after the function ran and before the marker committed runs it again
        (at least once, like a DBOS step): make it idempotent, e.g. with `activity.info().idempotency_key`.
        A failed attempt that the RetryPolicy retries is recorded too (a marker with the failure),
        followed by a durable timer for the backoff gap; the last failure raises ActivityError.
        """
        self._runtime.check_not_query("run a local activity")
        self._activity_seq += 1
        name = activity_name(activity)
        aid = activity_id or str(self._activity_seq)
        payload = to_payload(list(args), f"input of local activity {name}")
        out = WorkflowFuture(f"local activity {name}")
        self._local_attempt(out, aid, name, payload, retry or RetryPolicy(), start_to_close_timeout.total_seconds(),
                            1, self.now().timestamp())
        return out

    execute_local_activity = local_activity

    def _local_attempt(self, out: WorkflowFuture, aid: str, name: str, args: list, policy: RetryPolicy,
                       timeout: float, attempt: int, scheduled_ts: float) -> None:
        command = cmd.ScheduleLocalActivity(activity_id=aid, activity_type=name, args=args, retry_policy=policy.to_json(),
                                            start_to_close_seconds=timeout, attempt=attempt, scheduled_ts=scheduled_ts)

        def on_marker(f: WorkflowFuture) -> None:
            marker = f.result()
            if "failure" not in marker:
                out.set_result(marker.get("result"))
            elif marker.get("backoff_seconds") is not None:
                self._runtime.spawn(self._local_backoff(out, aid, name, args, policy, timeout, attempt, scheduled_ts,
                                                  marker["backoff_seconds"]))
            else:
                failure = marker["failure"]
                out.set_exception(ActivityError(name, aid, failure_from(failure),
                                                timed_out=failure.get("type") == "StartToCloseTimeout", attempt=attempt))

        self._runtime.schedule_local_activity(command).add_done_callback(on_marker)

    async def _local_backoff(self, out: WorkflowFuture, aid: str, name: str, args: list, policy: RetryPolicy,
                             timeout: float, attempt: int, scheduled_ts: float, backoff: float) -> None:
        """The gap before the next attempt is a durable timer (as Temporal does for long local
        backoffs), so a retry survives a restart and virtual time can skip it."""
        await self._runtime.start_timer(cmd.StartTimer(timer_id=f"local-{aid}-{attempt}", seconds=backoff))
        self._local_attempt(out, aid, name, args, policy, timeout, attempt + 1, scheduled_ts)

    # --- time -----------------------------------------------------------------------------------
    def _start_timer(self, duration: timedelta | float) -> tuple[str, WorkflowFuture]:
        seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
        if seconds < 0:
            raise ValueError(f"timer duration must not be negative, got {seconds} s")
        self._timer_seq += 1
        timer_id = str(self._timer_seq)
        return timer_id, self._runtime.start_timer(cmd.StartTimer(timer_id=timer_id, seconds=seconds))

    async def sleep(self, duration: timedelta | float) -> None:
        """A durable timer: TimerStarted now, the code resumes on TimerFired."""
        self._runtime.check_not_query("start a timer")
        timer_id, fut = self._start_timer(duration)
        try:
            await fut
        except CancelledError:
            self._runtime.cancel_timer(timer_id)
            raise

    async def wait_condition(self, condition: Callable[[], bool], *, timeout: timedelta | float | None = None) -> bool:
        """Wait until `condition()` is true (re-checked after every signal and step).

        Returns True when it became true, False when `timeout` (a durable timer) ran out first.
        """
        self._runtime.check_not_query("wait")
        if condition():
            return True
        fut = self._runtime.add_condition(condition)
        timer_id = None
        if timeout is not None:
            timer_id, timer = self._start_timer(timeout)
            timer.add_done_callback(lambda _f: fut.set_result(False))
        try:
            met = await fut
        except CancelledError:
            if timer_id is not None:
                self._runtime.cancel_timer(timer_id)
            raise
        if met and timer_id is not None:
            self._runtime.cancel_timer(timer_id)
        return met

    # --- signals and queries --------------------------------------------------------------------
    def set_query_handler(self, name: str, handler: Callable[..., Any]) -> None:
        """Answer `name` queries from the replayed state; the handler must not change anything."""
        self._query_handlers[name] = handler

    def _deliver_signal(self, name: str, payload: Any) -> None:
        self.signals._add(name, payload)

    def _query(self, name: str, args: list) -> Any:
        handler = self._query_handlers.get(name)
        if handler is None:
            known = ", ".join(sorted(self._query_handlers)) or "none"
            raise QueryError(f"workflow {self.info.workflow_id} has no query {name!r} (known: {known})")
        try:
            inspect.signature(handler).bind(*args)
        except TypeError as exc:  # the arguments do not fit the handler: the caller's mistake, not a bug
            raise QueryError(f"query {name!r} of workflow {self.info.workflow_id} was given {len(args)} argument(s) "
                             f"that do not fit its handler ({exc})") from None
        except ValueError:  # no signature to check (a builtin): let the call decide
            pass
        return handler(*args)

    # --- versioning -----------------------------------------------------------------------------
    def patched(self, patch_id: str) -> bool:
        """A version gate. New runs take the new path (a marker is recorded); a run replaying a
        history without the marker takes the old path."""
        if patch_id not in self._patches:
            self._patches[patch_id] = self._runtime.patch(patch_id)
        return self._patches[patch_id]

    # --- child workflows and continue-as-new ----------------------------------------------------
    def start_child(self, workflow: Callable | str, *args: Any, id: str, task_queue: str | None = None) -> ChildWorkflowHandle:
        """Start a child workflow with its own history; await the handle for its result."""
        self._runtime.check_not_query("start a child workflow")
        name = workflow_name(workflow)
        command = cmd.StartChildWorkflowExecution(workflow_id=id, workflow_type=name,
                                                  args=to_payload(list(args), f"input of child workflow {id}"),
                                                  task_queue=task_queue or self.info.task_queue)
        return self._runtime.start_child(command, ChildWorkflowHandle(id, name))

    async def execute_child(self, workflow: Callable | str, *args: Any, id: str, task_queue: str | None = None) -> Any:
        """Start a child workflow and wait for its result (temporalio's `execute_child_workflow`)."""
        return await self.start_child(workflow, *args, id=id, task_queue=task_queue)

    def continue_as_new(self, *args: Any) -> NoReturn:
        """Close this run and start a fresh one with the same workflow id, carrying `args`."""
        self._runtime.check_not_query("continue as new")
        raise ContinueAsNewError(tuple(to_payload(list(args), "continue-as-new input")))

    # --- composition ----------------------------------------------------------------------------
    async def gather(self, *aws: Awaitable[Any], return_exceptions: bool = False) -> list[Any]:
        """Wait for several activities / children / coroutines; results in argument order."""
        futures = [a if isinstance(a, WorkflowFuture) else self._runtime.spawn(a) for a in aws]
        results: list[Any] = []
        for fut in futures:
            try:
                results.append(await fut)
            except Exception as exc:  # noqa: BLE001 - handed back to the caller as asked
                if not return_exceptions:
                    raise
                results.append(exc)
        return results

