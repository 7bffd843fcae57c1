"""Each workload's scenarios driven on the real Temporal server, as the mini-engine's run() drives them.

The same day of the cancel, answer or crash, the same faults injected on the services, the same
inputs and workflow ids (workloads/*/replay.py `run`). Time is the server's, per workflow: a
workflow with an action on day N is started with a fast-forward of N days in its start request
(`TimeSkippingConfig(fast_forward_config=...)`: no options update that would wake a workflow task
of its own), the driver waits for the skip to that day, acts, and turns unbounded skipping back on
only when a timer is still to be waited out (`fast_forward(handle, None)`). A crash is the worker
stopped while the workflow waits and a new worker started: the new one replays the history.

Every function here runs on the dev server's event loop (`DevServer.call`), bounded there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.testing import TimeSkipper, TimeSkippingConfig
from temporalio.testing._timeskipping import FastForwardConfig  # the field type of TimeSkippingConfig
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from workloads.eject.temporal.project import ExportedProject

_CLOSED = frozenset({EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
                     EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
                     EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT})
#: crash and deploy-v2 act on day 10, cancel on day 3, as the mini-engine's defaults
CRASH_DAY = DEPLOY_DAY = 10.0
CANCEL_DAY = 3.0
#: how often `Driver.waiting` asks the server whether the workflow has gone back to waiting
IDLE_POLL_S = 0.05


@dataclass
class Driven:
    """What a scenario left: the workflow it is about, its outcome, and what else happened."""

    handle: WorkflowHandle[Any, Any]
    output: Any = None
    failure: str | None = None
    notes: list[str] = field(default_factory=list)
    #: other workflows the scenario ran (deploy-v2's ORDER #1002), by id
    others: dict[str, WorkflowHandle[Any, Any]] = field(default_factory=dict)


def failure_chain(error: BaseException | None) -> str:
    """'ActivityError: Activity task failed <- ApplicationError CardDeclined: ...', outermost first."""
    links = []
    while error is not None:
        kind = getattr(error, "type", None)
        links.append(f"{type(error).__name__}{' ' + kind if kind else ''}: {getattr(error, 'message', None) or error}")
        error = error.__cause__
    return " <- ".join(links)


class Driver:
    """The scenario's hands on the server: start, fast-forward, signal, crash, wait."""

    def __init__(self, env: Any, project: ExportedProject, day: float | None = None) -> None:
        self.env = env
        self.client: Client = env.client
        self.project = project
        #: the day the scenario's action comes (the mini-engine's --day), or the scenario's own
        self.day = day
        self.workers = 0

    def new_worker(self, **options: Any) -> Worker:
        """The export's own `new_worker`, unsandboxed: the export's modules are imported under
        per-workload names in this process, which the sandbox's re-import by module name cannot find."""
        self.workers += 1
        return self.project.worker.new_worker(self.client, workflow_runner=UnsandboxedWorkflowRunner(),
                                              identity=f"{self.project.workload}-worker-{self.workers}", **options)

    async def start(self, run: Callable[..., Awaitable[Any]], arg: Any, *, workflow_id: str,
                    fast_forward_days: float | None = None) -> WorkflowHandle[Any, Any]:
        """Start the workflow. With `fast_forward_days`, its clock is moved that far on from the start
        (the fast-forward is part of its start request, so no options update wakes an extra workflow
        task) and this returns once the workflow's clock is there, with skipping off again; without,
        its clock skips ahead whenever it only waits, until it closes."""
        task_queue = self.project.worker.TASK_QUEUE
        policy = WorkflowIDReusePolicy.ALLOW_DUPLICATE
        if fast_forward_days is None:
            return await self.client.start_workflow(run, arg, id=workflow_id, task_queue=task_queue, id_reuse_policy=policy)
        ahead = TimeSkippingConfig(enabled=True, fast_forward_config=FastForwardConfig(
            id=f"{workflow_id}-day-{fast_forward_days:g}", duration=timedelta(days=fast_forward_days)))
        with self.env.with_time_skipping_disabled():  # the environment's own config would replace this one
            handle = await TimeSkipper(self.client, config=ahead).client.start_workflow(
                run, arg, id=workflow_id, task_queue=task_queue, id_reuse_policy=policy)
        await self._fast_forwarded(handle)
        return handle

    async def _fast_forwarded(self, handle: WorkflowHandle[Any, Any]) -> None:
        """Wait (long-polling the history) for the skip to the fast-forward's target time."""
        async for event in handle.fetch_history_events(wait_new_event=True):
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIME_SKIPPING_TRANSITIONED and \
                    event.workflow_execution_time_skipping_transitioned_event_attributes.disabled_after_fast_forward:
                return
            if event.event_type in _CLOSED:
                return

    async def finish(self, handle: WorkflowHandle[Any, Any], *, skip_the_rest: bool = False) -> Driven:
        """Wait for the workflow's result or failure; `skip_the_rest` turns unbounded skipping back on
        for a workflow whose fast-forward ended while it still has a timer to wait out."""
        if skip_the_rest and await self.running(handle):
            await self.env.fast_forward(handle, None)
        try:
            return Driven(handle, output=await handle.result())
        except WorkflowFailureError as exc:
            return Driven(handle, failure=failure_chain(exc.cause))

    async def signal(self, handle: WorkflowHandle[Any, Any], name: str, *args: Any) -> str:
        """Signal as a client would; '' when delivered, else what the server answered. A closed
        workflow refuses it (SignalWorkflowExecution → NotFound "workflow execution already completed")."""
        try:
            await handle.signal(name, *args)
            return ""
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return f"SignalWorkflowExecution failed with NotFound \"{exc.message}\"; the signal reached no code"

    async def running(self, handle: WorkflowHandle[Any, Any]) -> bool:
        status = (await handle.describe()).status
        return status is not None and status.name == "RUNNING"

    async def closed_note(self, handle: WorkflowHandle[Any, Any]) -> str:
        """'the workflow had already completed on day 30' when it is closed, else ''."""
        d = await handle.describe()
        if d.status is None or d.status.name == "RUNNING" or d.close_time is None:
            return ""
        days = (d.close_time - d.start_time).total_seconds() / 86400
        return f"the workflow had already {d.status.name.lower()} on day {round(days, 2):g} of its clock"

    async def now(self, handle: WorkflowHandle[Any, Any]) -> Any:
        """The workflow's current (virtual) time."""
        return await self.env.get_current_time(handle)

    async def fast_forward(self, handle: WorkflowHandle[Any, Any], days: float) -> None:
        """Move a running workflow's clock `days` further on (an options update with a fast-forward:
        the server records WorkflowExecutionOptionsUpdated) and wait until it is there."""
        if days > 0 and await self.waiting(handle):
            await self.env.fast_forward(handle, timedelta(days=days))

    async def waiting(self, handle: WorkflowHandle[Any, Any]) -> bool:
        """Wait until the workflow only waits (no workflow task and no activity pending: what a signal
        set going has run), so a fast-forward moves a clock nothing is using; False once it closed."""
        while True:
            d = await handle.describe()
            if d.status is None or d.status.name != "RUNNING":
                return False
            raw = d.raw_description
            if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
                return True
            await asyncio.sleep(IDLE_POLL_S)  # bounded by the run's own deadline (DevServer.call)


# --- ORDER #1001 --------------------------------------------------------------------------------
async def order_1001(d: Driver, scenario: str) -> Driven:
    from workloads.order_1001.order import CANCEL_SIGNAL, ORDER, WORKFLOW_ID, order

    wf = d.project.workflows
    services = d.project.canvas_services.services()
    if scenario == "sick-payment":
        services.inject("payment", "unavailable", times=3)
    elif scenario == "declined":
        services.inject("payment", "reject")
    default = {"cancel": CANCEL_DAY, "crash": CRASH_DAY, "deploy-v2": DEPLOY_DAY}.get(scenario)
    day = None if default is None else default if d.day is None else d.day
    async with d.new_worker():
        handle = await d.start(wf.OrderWorkflow.run, ORDER, workflow_id=WORKFLOW_ID, fast_forward_days=day)
        if day is None:
            return await d.finish(handle)
        closed = await d.closed_note(handle)
        if scenario == "cancel":
            refused = await d.signal(handle, CANCEL_SIGNAL)
            done = await d.finish(handle)  # the saga needs no more time
            done.notes.append(f"{CANCEL_SIGNAL} on day {day:g} of the workflow's clock"
                              + (f": {refused} ({closed})" if refused else " was delivered"))
            return done
    # the v1 worker stopped on day N while the order waits: a crash, or the v2 deployment
    if scenario == "crash":
        async with d.new_worker():
            done = await d.finish(handle, skip_the_rest=True)
        done.notes.append(f"worker 1 stopped on day {day:g}: " + (
            f"{closed}, so the crash changed nothing" if closed else
            "the order was waiting; worker 2 replayed its history and carried it on"))
        return done
    async with d.new_worker(v2=True):
        second = await d.start(wf.OrderWorkflowV2.run, order("1002"), workflow_id="order-1002")
        done = await d.finish(handle, skip_the_rest=True)
        await d.finish(second)
    done.others["order-1002"] = second
    done.notes.append(f"v2 (FraudCheck behind workflow.patched('fraud-check')) deployed on day {day:g}: "
                      + (f"{closed}; " if closed else "order-1001 finished on the v2 worker on the v1 path; ")
                      + "order-1002 started on v2")
    return done


# --- the expense approval ----------------------------------------------------------------------------
async def expense_approval(d: Driver, scenario: str) -> Driven:
    from workloads.expense_approval import claim as c

    wf = d.project.workflows
    inbox = c.Inbox(d.project.canvas_services.store())
    answer = c.ANSWERS[scenario]
    day = None if answer is None else c.DEFAULT_DAY if d.day is None else d.day
    async with d.new_worker():
        handle = await d.start(wf.ExpenseWorkflow.run, c.CLAIM, workflow_id=c.WORKFLOW_ID, fast_forward_days=day)
        if answer is None or day is None:
            return await d.finish(handle)  # the 3-day timer fires on the skipping clock
        inbox.answer(c.CLAIM_ID, answer, await d.now(handle))
        refused = await d.signal(handle, c.DECIDE_SIGNAL, answer)
        done = await d.finish(handle)
        done.notes.append(f"{c.late_answer_note(day)} ({refused})" if refused else
                          f"the manager answered {answer!r} on day {day:g} of the workflow's clock")
        return done


# --- the nightly ETL ------------------------------------------------------------------------------------
async def nightly_etl(d: Driver, scenario: str) -> Driven:
    from engines.clock import EPOCH
    from workloads.nightly_etl.tables import FLAKY_FAILURES, seed

    wf = d.project.workflows
    ds = EPOCH.date().isoformat()
    seed(d.project.canvas_services.store(), ds, bad=scenario == "bad-data")
    if scenario == "flaky-transform":
        d.project.activities.tables().failures_left = FLAKY_FAILURES
    async with d.new_worker():
        handle = await d.start(wf.NightlyEtlWorkflow.run, ds, workflow_id=wf.workflow_id(ds))
        return await d.finish(handle)


# --- the KYC review ------------------------------------------------------------------------------------
async def kyc_review(d: Driver, scenario: str) -> Driven:
    from workloads.kyc import case as k

    wf = d.project.workflows
    case = k.CaseFile(d.project.canvas_services.store())
    actions = k.scenario_actions(scenario, d.day)
    notes: list[str] = []
    async with d.new_worker():
        # the world every engine starts from: document set 1 uploaded when the case opens
        case.receive_documents(1, d.project.canvas_services.utcnow())
        handle = await d.start(wf.KycReviewWorkflow.run, k.CASE, workflow_id=k.WORKFLOW_ID,
                               fast_forward_days=actions[0].day if actions else None)
        on_day = actions[0].day if actions else 0.0
        for action in actions:
            await d.fast_forward(handle, action.day - on_day)
            on_day = action.day
            notes.append(await _kyc_act(d, handle, case, action))
        # a delivered decision ends the review with no timer left; a refused one leaves the 14 days to run out
        done = await d.finish(handle, skip_the_rest=bool(notes and notes[-1]))
    done.notes.extend(n for n in notes if n)
    return done


async def _kyc_act(d: Driver, handle: WorkflowHandle[Any, Any], case: Any, action: Any) -> str:
    """The customer uploads (then signals newDocuments) or the reviewer decides (then signals
    reviewDecision), as the mini-engine's run does; '' when the signal reached the review."""
    from workloads.kyc import case as k

    closed = await d.closed_note(handle)
    now = await d.now(handle)
    what = action.kind.replace("-", " ")
    try:
        if action.kind is k.ActionKind.NEW_DOCUMENTS:
            case.receive_documents(action.version, now)
            refused = await d.signal(handle, k.NEW_DOCUMENTS_SIGNAL, {"version": action.version})
        else:
            row = case.decide(action.decision, now)
            refused = await d.signal(handle, k.REVIEW_DECISION_SIGNAL,
                                     {"decision": action.decision, "documents_version": row["decided_version"]})
    except k.KycError as exc:
        return f"{k.late_note(what, action.day)} ({exc})"
    return f"{k.late_note(what, action.day)} ({refused}; {closed})" if refused else ""


# --- the thumbnail fan-out ------------------------------------------------------------------------------
async def thumbnail_fan_out(d: Driver, scenario: str) -> Driven:
    from workloads.thumbnails import images as im

    wf = d.project.workflows
    images = im.ImageStore(d.project.canvas_services.store())
    uploads = im.uploads_for(scenario)
    images.add_uploads(uploads)
    if scenario == "flaky-size":
        images.inject_flaky(uploads[0]["upload_id"], im.FLAKY_SIZE)
    async with d.new_worker():
        if scenario == "batch-1000":
            handle = await d.start(wf.ThumbnailsBatchWorkflow.run, uploads, workflow_id=wf.BATCH_ID)
        else:
            handle = await d.start(wf.ThumbnailsWorkflow.run, uploads[0],
                                   workflow_id=wf.workflow_id(uploads[0]["upload_id"]))
        done = await d.finish(handle)
    counts = images.counts()
    done.notes.append(f"the image store holds {counts['outputs']:,} outputs of {len(uploads):,} uploads "
                      f"({counts['complete_uploads']:,} with all {im.OUTPUTS_PER_UPLOAD})")
    done.notes.extend(f"{pair} was resized {calls} times: that activity alone was retried"
                      for pair, calls in images.retried().items())
    return done


DRIVERS: dict[str, Callable[[Driver, str], Awaitable[Driven]]] = {
    "order-1001": order_1001, "expense-approval": expense_approval, "nightly-etl": nightly_etl,
    "kyc-review": kyc_review, "thumbnail-fan-out": thumbnail_fan_out,
}
