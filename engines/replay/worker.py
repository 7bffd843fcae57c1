"""Workers: poll the task queues, replay workflow code, run activities, skip idle time.

A worker holds nothing a crash could lose: every decision is committed before the next step,
and a task it held when it died becomes claimable again when its lease runs out. Run one in
the current process (`Worker.run`) or as its own OS process (`workflow-canvas replay worker`).

Sticky execution (Temporal's workflow cache): between a run's workflow tasks the worker keeps
the run's suspended code (its `Driver`) and the history rows it read, so the next task reads
and decodes only the new rows and hands only the new events to the code, instead of replaying
the whole history from the top. The cache is bounded (`max_cached_workflows`, evicted least
recently used) and only an optimisation: a run is dropped from it on any doubt (the new events
do not continue its state exactly, the task failed, the lease was lost, the run closed) and on
a stop or crash; a run not in the cache, or any other worker, replays from the top.
`max_cached_workflows=0` turns it off: every workflow task replays from the top.
"""

from __future__ import annotations

import os
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Literal, Mapping

from engines.clock import VirtualClock, WallClock, human_duration
from engines.replay import activity as _activity
from engines.replay import commands as cmd
from engines.replay.context import WorkflowInfo
from engines.replay.driver import Driver, StaleState
from engines.replay.errors import (
    ApplicationError,
    NondeterminismError,
    NotRegisteredError,
    ReplayError,
    WorkerCrashed,
)
from engines.replay.executions import WorkflowExecutionStatus
from engines.replay.history import UTC, EventType, HistoryEvent, decode_events
from engines.replay.payloads import to_payload
from engines.replay.retry import RetryPolicy
from engines.replay.server import Server
from engines.replay.task_claims import ActivityClaim, EagerRequest, LeaseLost, WorkflowTaskClaim
from engines.replay.trace_kinds import TraceKind
from engines.replay.worker_registry import HOST
from engines.replay.workflow import workflow_name
from engines.replay.workflow_tasks import WorkflowTaskFailedCause
from engines.trace import Severity

PointHook = Callable[[str], None]
#: at most this many tasks run back to back on hand-offs before the worker polls again (fairness)
HANDOFF_LIMIT = 64
#: runs whose state (suspended code and history rows) a worker keeps between their workflow tasks
#: by default (temporalio's `max_cached_workflows` default)
MAX_CACHED_WORKFLOWS = 1000
#: the newest failure messages a worker keeps in `stats.problems` (a long-lived worker stays flat)
MAX_PROBLEMS = 100


@dataclass
class WorkerStats:
    """What one worker did: engine figures for a run's `extra`."""

    workflow_tasks: int = 0
    activity_tasks: int = 0
    replayed_events: int = 0      # events re-read and handed back to the code on replay
    new_commands: int = 0         # commands that became new events
    time_skips: int = 0
    failed_workflow_tasks: int = 0
    local_activities: int = 0     # local-activity attempts run inside workflow tasks
    cache_hits: int = 0           # workflow tasks continued from the run's cached state (sticky)
    cache_misses: int = 0         # workflow tasks replayed from the top (not cached, or the cache is off)
    cache_evictions: int = 0      # cached runs dropped for a doubt or to make room (closed runs not counted)
    problems: list[str] = field(default_factory=list)  # the newest MAX_PROBLEMS failure messages


class _CachedRun:
    """One run's state kept between its workflow tasks: its history rows read so far (as stored,
    decoded afresh when a replay from the top needs them) and its suspended code."""

    __slots__ = ("rows", "driver")

    def __init__(self, rows: list[tuple], driver: Driver) -> None:
        self.rows = rows
        self.driver = driver


def failure_of(exc: BaseException) -> dict[str, Any]:
    """An activity's exception as a stored failure (type, message, non_retryable)."""
    if isinstance(exc, ApplicationError):
        return exc.to_failure()
    retryable = getattr(exc, "retryable", True)
    return {"type": getattr(exc, "type_name", type(exc).__name__), "message": str(exc), "non_retryable": not retryable}


def _registry(items: Iterable[Callable] | Mapping[str, Callable], name_of: Callable[[Callable], str]) -> dict[str, Callable]:
    if isinstance(items, Mapping):
        return dict(items)
    return {name_of(fn): fn for fn in items}


class Worker:
    """Polls one task queue for the workflow and activity types it was given."""

    def __init__(self, server: Server, *, task_queue: str = "default", workflows: Iterable[Callable] | Mapping[str, Callable] = (),
                 activities: Iterable[Callable] | Mapping[str, Callable] = (), skip_time: bool = False,
                 idempotency_keys: bool = True, crash_after_effect: str | None = None, crash_at: str | None = None,
                 crash_mode: Literal["raise", "exit"] = "raise", on_point: PointHook | None = None,
                 identity: str | None = None, poll_interval: float = 0.05,
                 max_cached_workflows: int = MAX_CACHED_WORKFLOWS) -> None:
        self.server = server
        self.task_queue = task_queue
        self.workflows = _registry(workflows, workflow_name)
        self.activities = _registry(activities, _activity.activity_name)
        self.skip_time = skip_time
        self.idempotency_keys = idempotency_keys
        self.crash_after_effect = crash_after_effect
        self.crash_at = crash_at  # any point name, e.g. "activity-recorded:ChargeCard"
        self.crash_mode = crash_mode
        self.on_point = on_point
        self.identity = identity or f"{os.getpid()}@{HOST}-{uuid.uuid4().hex[:6]}"
        self.poll_interval = poll_interval
        self.stats = WorkerStats()
        self.started = False
        self.dead = False
        self._wall = WallClock()
        if max_cached_workflows < 0:
            raise ReplayError(f"max_cached_workflows must be 0 (no cache) or more, got {max_cached_workflows}")
        self.max_cached_workflows = max_cached_workflows
        self._cache: OrderedDict[str, _CachedRun] = OrderedDict()  # run id -> its state, least recently used first
        self._eager = EagerRequest(self.identity, task_queue, frozenset(self.workflows), frozenset(self.activities))

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "Worker":
        if self.dead:
            raise ReplayError(f"worker {self.identity} has crashed; start a new one")
        if not self.started:
            self.server.register_worker(self.identity, self.task_queue)
            self.started = True
            retried = self.server.retry_blocked(list(self.workflows))
            self.server.emit(TraceKind.WORKER_STARTED, self.identity,
                             f"worker {self.identity} polls queue {self.task_queue}"
                             + (f"; {retried} failed workflow task(s) retried with this code" if retried else ""),
                             task_queue=self.task_queue)
        return self

    def stop(self) -> None:
        if self.started and not self.dead:
            self.evict_all()
            self.server.stop_worker(self.identity)
            self.server.emit(TraceKind.WORKER_STOPPED, self.identity, f"worker {self.identity} stopped")
            self.started = False

    def crash(self, why: str = "the worker process died") -> None:
        """Vanish like a killed process: no cleanup, leases stay until they run out."""
        self.dead = True
        self.evict_all()  # a dead process's memory is gone
        self.server.stop_worker(self.identity, crashed=True)
        self.server.emit(TraceKind.WORKER_CRASHED, self.identity, why, Severity.ERROR)

    def __enter__(self) -> "Worker":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- the poll loop ------------------------------------------------------------------------
    def run(self, *, until_idle: bool = True, until: datetime | None = None, max_tasks: int | None = None) -> WorkerStats:
        """Poll until idle (nothing runnable and, in skip-time, nothing due ever), until `until`
        (virtual time), or for `max_tasks` tasks. Skip-time jumps the clock when nothing is runnable."""
        self.start()
        done = 0
        while True:
            self.server.sync_time()
            ran = self._step(None if max_tasks is None else max_tasks - done)
            if ran:
                done += ran
                if max_tasks is not None and done >= max_tasks:
                    return self.stats
                continue
            if self.skip_time:
                if self.server.busy_elsewhere(self.identity):
                    self._wait_real(advance=False)
                    continue
                due = self.server.next_due()
                if due is None or (until is not None and due > until):
                    if until is not None:
                        self.server.advance_to(until)
                        return self.stats
                    if until_idle:
                        return self.stats
                    self._wait_real(advance=False)
                    continue
                self._skip_to(due)
            else:
                if until is not None and self.server.now() >= until:
                    return self.stats
                if until_idle:
                    return self.stats
                self._wait_real(advance=True)

    def _skip_to(self, due: datetime) -> None:
        before = self.server.now()
        if due > before:
            self.server.advance_to(due)
            self.stats.time_skips += 1
            gap = (due - before).total_seconds()
            self.server.emit(TraceKind.TIME_SKIPPED, self.identity,
                             f"nothing is runnable: the virtual clock jumps {human_duration(gap)} to {due:%Y-%m-%d %H:%M:%S}",
                             seconds=gap)

    def _wait_real(self, advance: bool) -> None:
        self._wall.sleep(self.poll_interval)
        if advance and isinstance(self.server.clock, VirtualClock):
            self.server.advance_to(self.server.now() + timedelta(seconds=self.poll_interval))

    def step(self) -> bool:
        """Fire due timers, then run one polled task and the tasks its completions hand straight
        back to this worker (eager activities, sticky workflow tasks). False when idle."""
        return self._step(None) > 0

    def _step(self, budget: int | None) -> int:
        """`step` running at most `budget` tasks; returns how many ran (a fired timer counts as one)."""
        fired = self.server.fire_due_timers()
        claim: WorkflowTaskClaim | ActivityClaim | None = self.server.claim_workflow_task(
            self.task_queue, self.identity, list(self.workflows))
        if claim is None:
            claim = self.server.claim_activity_task(self.task_queue, self.identity, list(self.activities))
        ran = 0
        limit = HANDOFF_LIMIT if budget is None else min(budget, HANDOFF_LIMIT)
        while claim is not None:
            ran += 1
            eager = self._eager if ran < limit else None  # ask for a hand-off only if this worker will run it
            if isinstance(claim, WorkflowTaskClaim):
                claim = self._run_workflow_claim(claim, eager)
            else:
                claim = self._run_activity_claim(claim, eager)
        return ran or (1 if fired else 0)

    def _point(self, name: str) -> None:
        if self.on_point is not None:
            self.on_point(name)
        if self.crash_at == name:
            self._crash_now(why=f"the worker died at {name}")

    # --- workflow tasks ----------------------------------------------------------------------
    def run_workflow_task(self) -> bool:
        """Poll for one workflow task and run it (nothing handed back)."""
        claim = self.server.claim_workflow_task(self.task_queue, self.identity, list(self.workflows))
        if claim is None:
            return False
        self._run_workflow_claim(claim, None)
        return True

    def _run_workflow_claim(self, claim: WorkflowTaskClaim,
                            eager: EagerRequest | None) -> ActivityClaim | WorkflowTaskClaim | None:
        """Continue the run's cached code or replay it from the top, run its local activities,
        record its decision; returns the task handed back by `eager` (an activity, or the run's
        next workflow task after local activities)."""
        self._point(f"workflow-task-started:{claim.workflow_type}")
        self.stats.workflow_tasks += 1
        cached = self._cache.pop(claim.run_id, None)  # out of the cache until this task is recorded
        try:
            entry = self._activate(claim, cached)
        except NondeterminismError as exc:
            self._fail_task(claim, WorkflowTaskFailedCause.NON_DETERMINISTIC_ERROR, exc, TraceKind.NONDETERMINISM_ERROR)
            return None
        except ReplayError as exc:
            self._fail_task(claim, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED, exc, EventType.WORKFLOW_TASK_FAILED)
            return None
        kept = False
        try:
            commands = entry.driver.new_commands
            try:
                for command in commands:
                    if isinstance(command, cmd.ScheduleLocalActivity):
                        self._run_local_activity(claim, command)
            except NotRegisteredError as exc:  # the task waits for a worker that has the function
                self._fail_task(claim, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED, exc, EventType.WORKFLOW_TASK_FAILED)
                return None
            try:
                status, handed = self.server.complete_workflow_task(claim, commands, eager,
                                                                    entry.driver.flags_to_record())
            except LeaseLost as exc:  # another worker has the task: what ran here is not the run's state
                self.server.emit(TraceKind.LEASE_LOST, claim.workflow_id, f"{exc}; the decision is dropped", Severity.WARNING)
                return None
            if status == WorkflowExecutionStatus.RUNNING and self.max_cached_workflows and not self.dead:
                self._keep(claim.run_id, entry)  # a closed run gets no more workflow tasks
                kept = True
            self.stats.new_commands += len(commands)
            self._point(f"workflow-task-completed:{claim.workflow_type}")
            return handed
        finally:
            if not kept:
                entry.driver.close()

    def _activate(self, claim: WorkflowTaskClaim, cached: _CachedRun | None) -> _CachedRun:
        """The run's state with this task's new commands: the cached code continued with only the
        events recorded since its last task (a hit), else a new driver that replays the whole
        history from the top (a miss: not cached, the cache is off, or the events raised a doubt).
        A driver that raises is closed here; the error is the caller's to record."""
        rows = cached.rows if cached is not None else []
        last = rows[-1][0] if rows else 0
        if cached is not None and (last > claim.started_event_id or claim.transient):  # a doubt (or a retried task)
            cached.driver.close()
            self.stats.cache_evictions += 1
            cached, rows, last = None, [], 0
        seen = len(rows)
        rows.extend(self.server.history_rows(claim.run_id, after=last, upto=claim.started_event_id))
        if cached is not None:
            driver = cached.driver
            try:
                driver.advance(decode_events(rows[seen:]))  # only the new rows are decoded
            except StaleState:
                driver.close()
                self.stats.cache_evictions += 1
            except BaseException:
                driver.close()
                raise
            else:
                self.stats.cache_hits += 1
                self.stats.replayed_events += driver.replayed_events
                return cached
        self.stats.cache_misses += 1
        events = decode_events(rows) + list(claim.transient)  # a retried task's events are not stored yet
        first = events[0].attributes
        info = WorkflowInfo(workflow_id=claim.workflow_id, run_id=claim.run_id, workflow_type=claim.workflow_type,
                            task_queue=first.get("task_queue", self.task_queue), start_time=events[0].time,
                            continued_from_run_id=first.get("continued_from_run_id"),
                            parent_workflow_id=first.get("parent_workflow_id"))
        driver = Driver(self.workflows[claim.workflow_type], info, suggest_limit=self.server.limits.suggest_at)
        try:
            driver.advance(events)
        except BaseException:
            driver.close()
            raise
        finally:
            self.stats.replayed_events += driver.replayed_events
        return _CachedRun(rows, driver)

    def _keep(self, run_id: str, entry: _CachedRun) -> None:
        """Cache the run as most recently used; the least recently used go past the bound."""
        self._cache[run_id] = entry
        while len(self._cache) > self.max_cached_workflows:
            _, old = self._cache.popitem(last=False)
            old.driver.close()
            self.stats.cache_evictions += 1

    def evict_all(self) -> None:
        """Drop every cached run (on stop and crash): whoever runs them next replays from the top."""
        while self._cache:
            _, entry = self._cache.popitem()
            entry.driver.close()

    @property
    def cached_runs(self) -> int:
        """How many runs' state this worker holds now (at most `max_cached_workflows`)."""
        return len(self._cache)

    def _fail_task(self, claim: WorkflowTaskClaim, cause: WorkflowTaskFailedCause, exc: Exception, kind: str) -> None:
        """Record the failed workflow task; `kind` names it in the trace."""
        self.stats.failed_workflow_tasks += 1
        self.stats.problems.append(str(exc))
        del self.stats.problems[:-MAX_PROBLEMS]
        self.server.emit(kind, claim.workflow_id, str(exc), Severity.ERROR, **(
            {"event_id": exc.event_id, "recorded": exc.recorded, "asked": exc.asked} if isinstance(exc, NondeterminismError) else {}))
        self.server.fail_workflow_task(claim, cause, str(exc), type(exc).__name__)

    # --- activity tasks ----------------------------------------------------------------------
    def _run_activity_claim(self, claim: ActivityClaim,
                            eager: EagerRequest | None) -> ActivityClaim | WorkflowTaskClaim | None:
        """Run one attempt and record it; returns what `eager` hands back: a ready sibling
        activity of the run, else (after a success) the run's next workflow task."""
        self.stats.activity_tasks += 1
        key = f"{claim.workflow_id}-{claim.activity_id}" if self.idempotency_keys else None
        now = self.server.now()
        info = _activity.ActivityInfo(
            workflow_id=claim.workflow_id, run_id=claim.run_id, activity_id=claim.activity_id,
            activity_type=claim.activity_type, attempt=claim.attempt, idempotency_key=key,
            scheduled_time=claim.scheduled_time, current_time=now, heartbeat_details=claim.heartbeat_details,
            _heartbeat=lambda details: self.server.heartbeat(claim, details))
        self.server.emit(EventType.ACTIVITY_TASK_STARTED, claim.workflow_id,
                         f"attempt {claim.attempt} of {claim.activity_type} runs on {self.identity}"
                         + (f" with idempotency key {key}" if key else " without an idempotency key"),
                         activity_type=claim.activity_type, attempt=claim.attempt, idempotency_key=key)
        self._point(f"activity-started:{claim.activity_type}")
        failure = None
        result = None
        with _activity.executing(info):
            try:
                result = to_payload(self.activities[claim.activity_type](*claim.args), f"result of {claim.activity_type}")
            except Exception as exc:  # noqa: BLE001 - any failure of user code is one failed attempt
                failure = failure_of(exc)
        if failure is None:
            self._point(f"activity-effect:{claim.activity_type}")
            if self.crash_after_effect == claim.activity_type:
                self._crash_now(f"the worker died after {claim.activity_type} reached the service and before its "
                                "result was recorded (the crash window)")
        try:
            if failure is None:
                self.server.complete_activity(claim, result)
            else:
                self.server.fail_activity(claim, failure)
        except LeaseLost as exc:
            self.server.emit(TraceKind.LEASE_LOST, claim.workflow_id, f"{exc}; the result is dropped", Severity.WARNING)
            return None
        self._point(f"activity-recorded:{claim.activity_type}")
        if eager is None:
            return None
        # The run's other activities that are ready now come first: a real worker runs them side
        # by side, and the server folds the completions that arrive while the run's workflow task
        # waits into that one task (five parallel resizes wake the workflow once, not five times).
        sibling = self.server.claim_activity_task(self.task_queue, self.identity, list(self.activities),
                                                  run_id=claim.run_id)
        if sibling is not None:
            return sibling
        if failure is not None:  # a failed attempt does not wake the workflow (a retry) or woke it already
            return None
        # sticky: the run's next workflow task, claimed by a normal (targeted) claim after the point above
        return self.server.claim_workflow_task(self.task_queue, self.identity, list(self.workflows), run_id=claim.run_id)

    def _run_local_activity(self, claim: WorkflowTaskClaim, command: cmd.ScheduleLocalActivity) -> None:
        """One attempt of a local activity, inline in the workflow task; the outcome goes into the
        command (the marker). Nothing is recorded until the workflow task completes."""
        name = command.activity_type
        fn = self.activities.get(name)
        if fn is None:
            raise NotRegisteredError(f"local activity {name!r} of {claim.workflow_id} is not registered on worker "
                                     f"{self.identity} (known: {', '.join(self.activities) or 'none'}); a local activity "
                                     "runs in the worker that holds the workflow task")
        self.stats.local_activities += 1
        key = f"{claim.workflow_id}-{command.activity_id}" if self.idempotency_keys else None
        start = self.server.now()
        info = _activity.ActivityInfo(
            workflow_id=claim.workflow_id, run_id=claim.run_id, activity_id=command.activity_id, activity_type=name,
            attempt=command.attempt, idempotency_key=key, scheduled_time=datetime.fromtimestamp(command.scheduled_ts, UTC),
            current_time=start)
        self.server.emit(TraceKind.LOCAL_ACTIVITY_STARTED, claim.workflow_id,
                         f"attempt {command.attempt} of local activity {name} runs inside the workflow task on {self.identity}"
                         + (f" with idempotency key {key}" if key else " without an idempotency key"),
                         activity_type=name, attempt=command.attempt, idempotency_key=key)
        self._point(f"local-activity-started:{name}")
        failure = None
        with _activity.executing(info):
            try:
                command.result = to_payload(fn(*command.args), f"result of {name}")
            except Exception as exc:  # noqa: BLE001 - any failure of user code is one failed attempt
                failure = failure_of(exc)
        took = (self.server.now() - start).total_seconds()
        if failure is None and took > command.start_to_close_seconds:
            failure = {"type": "StartToCloseTimeout", "non_retryable": False,
                       "message": f"no result within {command.start_to_close_seconds:g} s (took {took:g} s)"}
            command.result = None
        if failure is None:
            self._point(f"local-activity-effect:{name}")
            if self.crash_after_effect == name:
                self._crash_now(f"the worker died after local activity {name} ran and before its marker was recorded "
                                "(it runs again: at least once)")
        else:
            policy = RetryPolicy.from_json(command.retry_policy)
            if policy.should_retry(command.attempt, failure.get("type", ""), bool(failure.get("non_retryable"))):
                command.backoff_seconds = policy.backoff(command.attempt).total_seconds()
            command.failure = failure
            self.server.emit(TraceKind.LOCAL_ACTIVITY_FAILED, claim.workflow_id,
                             f"{name} attempt {command.attempt} failed: {failure.get('type')}"
                             + (f"; retry in {command.backoff_seconds:g} s" if command.backoff_seconds is not None
                                else "; no retry"), Severity.WARNING, activity_type=name, attempt=command.attempt,
                             failure=failure, will_retry=command.backoff_seconds is not None)
        command.ran = True

    def _crash_now(self, why: str) -> None:
        if self.crash_mode == "exit":
            os._exit(70)
        self.crash(why)
        raise WorkerCrashed(why)

