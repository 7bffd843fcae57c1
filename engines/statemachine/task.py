"""The Task state: invoke a Resource, wait for its callback or Deferred answer, time it out.

A Task's life in one thread: INVOKE (schedule, start, call the bound callable) → done at once
(request-response), or CALLBACK (`.waitForTaskToken` / activities: wait for SendTaskSuccess /
SendTaskFailure on its token, or for TimeoutSeconds / HeartbeatSeconds), or PENDING (a
`Deferred` answer due after virtual seconds). Timeouts and heartbeats are due times on the
clock; a heartbeat expiry is reported as `States.Timeout`, as AWS does. The event names follow
the integration: `Task*`, `LambdaFunction*` (legacy Lambda ARNs) or `Activity*`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from engines import jsonio
from engines.statemachine import dataflow, jsonata_mode, start_execution
from engines.statemachine.errors import DATA_LIMIT, HEARTBEAT_TIMEOUT, RUNTIME, TIMEOUT, StatemachineError, StatesError
from engines.statemachine.execution import Execution
from engines.statemachine.history import HistoryEventType, TaskEventPrefix
from engines.statemachine.resources import (
    Deferred, IntegrationKind, IntegrationPattern, TaskContext, error_of, parse_resource,
)
from engines.statemachine.quotas import data_limit_cause, too_large
from engines.statemachine.runtime import Runtime
from engines.statemachine.tables import TokenStatus
from engines.statemachine.threads import PendingAnswer, Phase, TaskRun, Thread
from engines.statemachine.timestamps import iso, parse_iso

LAMBDA_NOT_FOUND = "Lambda.ResourceNotFoundException"


def _run(th: Thread) -> TaskRun:
    if th.task is None:
        raise StatesError(RUNTIME, f"task state {th.state!r} has no invocation to continue")
    return th.task


def invoke(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    """Schedule and start the task, then call its callable (at least once: a crash after the checkpoint re-runs it)."""
    ref = parse_resource(state["Resource"], state.get("Parameters") or state.get("Arguments"))
    callback = ref.pattern == IntegrationPattern.CALLBACK
    lambda_invoke = ref.kind == IntegrationKind.LAMBDA_INVOKE
    task = th.task = TaskRun(ref.history_prefix)
    if th.token:
        rt.tables.set_token(th.token, TokenStatus.CLOSED)  # a re-run after a crash: the old token is dead
    if callback:
        th.token = uuid.uuid4().hex + uuid.uuid4().hex
        rt.tables.add_token(th.token, ex.arn, th.id)
    payload = dataflow.state_input(state, rt.view(ex, th, state))
    if isinstance(payload, dict) and lambda_invoke:
        ref = parse_resource(state["Resource"], payload)  # the same kind and pattern; the function may differ
    rt.event(ex, HistoryEventType.of_task(task.prefix, "Scheduled"), th.state, resource=state["Resource"], input=payload)
    rt.event(ex, HistoryEventType.of_task(task.prefix, "Started"), th.state)
    now = rt.clock.now()
    timeout = seconds(rt, ex, th, state, "TimeoutSeconds")
    heartbeat = seconds(rt, ex, th, state, "HeartbeatSeconds")
    task.deadline = iso(now + timedelta(seconds=timeout)) if timeout else None
    task.hb_due = iso(now + timedelta(seconds=heartbeat)) if heartbeat and callback else None
    rt.checkpoint(ex)  # the task is scheduled: a crash from here re-runs it (at-least-once, as AWS)
    try:
        fn = start_execution.resolve(rt.resources, ref)  # states:startExecution is built in
    except StatemachineError as exc:
        failed(rt, ex, th, state, RUNTIME if ref.kind != IntegrationKind.LAMBDA else LAMBDA_NOT_FOUND, str(exc))
        return
    call_input = payload.get("Payload", {}) if lambda_invoke and isinstance(payload, dict) else payload
    ctx = TaskContext(ex.name, th.state, th.token, th.retry_count, now, ref, rt.facade)
    key = (ex.arn, th.id)
    rt.invoking.add(key)
    try:
        result = fn(call_input, ctx)
    except StatesError:
        raise
    except Exception as exc:  # the callable's failure is the task's failure, as Lambda reports it
        error, cause = error_of(exc, ref)
        failed(rt, ex, th, state, error, cause)
        return
    finally:
        rt.invoking.discard(key)
    if isinstance(result, Deferred):
        try:
            if not 0 <= result.seconds <= 99_999_999:  # also False for NaN
                raise ValueError
            due = now + timedelta(seconds=result.seconds)
        except (TypeError, ValueError, OverflowError):
            failed(rt, ex, th, state, RUNTIME, f"the resource answered Deferred({result.seconds!r}): its seconds must be "
                   "a number from 0 to 99999999")
            return
        task.pending = PendingAnswer(result.value, result.error, result.cause)
        if task.deadline and parse_iso(task.deadline) < due:
            due, task.pending = parse_iso(task.deadline), None
        th.phase, th.due = Phase.PENDING, iso(due)
        return
    if callback:
        if task.prefix == TaskEventPrefix.TASK:
            rt.event(ex, HistoryEventType.TASK_SUBMITTED, th.state, output=result)
        dues = [d for d in (task.deadline, task.hb_due) if d]
        th.phase, th.due = Phase.CALLBACK, min(dues) if dues else None
        return
    if lambda_invoke:
        result = {"ExecutedVersion": "$LATEST", "Payload": result, "SdkHttpMetadata": {"HttpStatusCode": 200},
                  "SdkResponseMetadata": {}, "StatusCode": 200}
    succeeded(rt, ex, th, state, result)


def answer_of(tok: dict[str, Any]) -> dict[str, Any] | None:
    """A token row's answer ({"ok", "output"} or {"ok", "error", "cause"}), if SendTask* gave one.

    A closed token may still hold the answer it was closed with: the process that took it died
    before its next checkpoint, so the task it answers is still waiting in the checkpoint.
    """
    if tok["status"] == TokenStatus.WAITING or tok["answer"] is None:
        return None
    answer = jsonio.loads(tok["answer"])
    return answer if isinstance(answer, dict) and "ok" in answer else None


def poll_callback(rt: Runtime, ex: Execution, th: Thread, state: dict) -> bool:
    """A waiting callback task: answered (→ succeeded/failed), timed out, or still waiting (False)."""
    tok = rt.tables.token(th.token) if th.token else None
    answer = answer_of(tok) if tok else None
    if tok and answer is not None:
        rt.tables.set_token(tok["token"], TokenStatus.CLOSED, answer)
        if answer["ok"]:
            succeeded(rt, ex, th, state, answer["output"])
        else:
            failed(rt, ex, th, state, answer["error"], answer["cause"])
        return True
    now = rt.clock.now()
    if th.due and parse_iso(th.due) <= now:
        task = _run(th)
        if th.token:
            rt.tables.set_token(th.token, TokenStatus.CLOSED)
        hb = task.hb_due and parse_iso(task.hb_due) <= now
        by_heartbeat = hb and not (task.deadline and task.hb_due and task.deadline <= task.hb_due)
        timed_out(rt, ex, th, state, heartbeat=bool(by_heartbeat))
        return True
    return False


def settle_pending(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    """A Deferred answer is due: its value, its error, or (if TimeoutSeconds came first) a timeout."""
    task = _run(th)
    pending, task.pending = task.pending, None
    if pending is None:
        timed_out(rt, ex, th, state, heartbeat=False)
    elif pending.error:
        failed(rt, ex, th, state, pending.error, pending.cause)
    else:
        succeeded(rt, ex, th, state, pending.value)


def heartbeat(rt: Runtime, ex: Execution, th: Thread) -> None:
    """SendTaskHeartbeat: HeartbeatSeconds count again from now (no history event, as in AWS)."""
    state = rt.state_of(ex, th)
    hb = seconds(rt, ex, th, state, "HeartbeatSeconds")
    if hb and th.task is not None:
        task = th.task
        task.hb_due = iso(rt.clock.now() + timedelta(seconds=hb))
        th.due = min(x for x in (task.deadline, task.hb_due) if x)
        ex.touch(th)
        rt.checkpoint(ex)
        rt.arm(ex)


def retire_token(rt: Runtime, th: Thread) -> None:
    """The task is over (succeeded, failed, timed out): its token, if it has one, takes no answer any more.

    As in Step Functions, where SendTaskSuccess with the token of a task that has failed or timed
    out is refused (TaskTimedOut / InvalidToken): the row is closed, not left waiting.
    """
    if th.token:
        rt.tables.close_token(th.token)
        th.token = None


def _resource_label(arn: str) -> str:
    """How AWS names a task in its DataLimitExceeded cause: `lambda` for lambda:invoke, else the ARN."""
    if arn.startswith("arn:aws:states:::"):
        return arn[len("arn:aws:states:::"):].split(":")[0]
    return arn


def succeeded(rt: Runtime, ex: Execution, th: Thread, state: dict, result: Any) -> None:
    if too_large(result):
        # a task result over 256 KiB fails the *task*, so Retry/Catch see it (AWS-recorded, LocalStack
        # test_states_errors.snapshot.json: TaskFailed States.DataLimitExceeded, then Catch — even States.ALL)
        failed(rt, ex, th, state, DATA_LIMIT, data_limit_cause(_resource_label(state["Resource"])))
        return
    rt.event(ex, HistoryEventType.of_task(_run(th).prefix, "Succeeded"), th.state, output=result)
    retire_token(rt, th)
    rt.exit(ex, th, state, result)


def failed(rt: Runtime, ex: Execution, th: Thread, state: dict, error: str, cause: str) -> None:
    """The task failed (its callable raised, it answered with an error, SendTaskFailure): Retry/Catch take it."""
    rt.event(ex, HistoryEventType.of_task(_run(th).prefix, "Failed"), th.state, error=error, cause=cause)
    retire_token(rt, th)
    rt.state_error(ex, th, state, error, cause)


def timed_out(rt: Runtime, ex: Execution, th: Thread, state: dict, *, heartbeat: bool) -> None:
    cause = "The task did not send a heartbeat in time" if heartbeat else "The task ran longer than its TimeoutSeconds"
    # AWS reports a heartbeat expiry as States.Timeout too (recorded AWS history; see research/asl.md §1.7),
    # and a Retry or Catch naming States.HeartbeatTimeout takes it: the developer guide lists that name as
    # "only available inside the Catch and Retry fields" (concepts-error-handling.html), i.e. for matching.
    rt.event(ex, HistoryEventType.of_task(_run(th).prefix, "TimedOut"), th.state, error=TIMEOUT, cause=cause)
    retire_token(rt, th)
    rt.state_error(ex, th, state, TIMEOUT, cause, also=(HEARTBEAT_TIMEOUT,) if heartbeat else ())


def seconds(rt: Runtime, ex: Execution, th: Thread, state: dict, field: str) -> float | None:
    """TimeoutSeconds / HeartbeatSeconds: a number, a `…Path`, or a JSONata expression; None if absent."""
    v: Any
    if field + "Path" in state:
        v = rt.view(ex, th, state).read(state[field + "Path"], field + "Path")
    else:
        v = state.get(field)
        if jsonata_mode.is_expression(v):
            view = rt.view(ex, th, state)
            v = jsonata_mode.evaluate(v, view.states(), view.variables, field)
    if v is None:
        return None
    # "a positive, non-zero integer" up to 99999999, the default (task-state.html): 1e300 or NaN never reach the clock
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v <= 99_999_999:
        raise StatesError(RUNTIME, f"{field} of {th.state!r} must be a positive number of seconds up to 99999999, "
                          f"got {v!r}")
    return float(v)
