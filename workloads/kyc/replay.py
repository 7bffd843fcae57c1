"""The KYC review on the replay engine: two signals, a 14-day durable timer and a status query.

`kyc_workflow` checks the newest documents, asks the reviewer, then
`wait_condition(a decision on these documents, or newer documents, timeout=14 days)`. The
workflow is dormant while it waits (no worker held). A `newDocuments` signal reaches the running
review and sends it back through the check (and starts the reviewer's 14 days again); a
`reviewDecision` signal on the documents it checked ends the wait; the timer firing first
escalates. `getReviewStatus` answers from the replayed state at any time, while it waits too.
The loop is bounded: at most MAX_DOCUMENT_SETS rounds, the most the portal takes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from engines.replay import Client, ReplayError, Server, Worker, WorkflowContext, activity, workflow
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import ReplayDetails
from workloads.kyc import case as k
from workloads.kyc.case import ActionKind, ReviewOutcome
from workloads.kyc.observations import lost_documents_note, read_case, result_of
from workloads.options import Option, RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Services
from workloads.workload import WorkloadVersion

SCENARIOS = k.SCENARIOS


class KycActivities:
    """The case's activities bound to the services and the case file; each passes its idempotency key."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.case_file = k.CaseFile(services.store)

    @activity.defn(name="CheckDocuments")
    def check_documents(self, case: dict) -> dict:
        return self.case_file.check_latest(activity.info().current_time)

    @activity.defn(name="AskReviewer")
    def ask_reviewer(self, case: dict, version: int) -> dict:
        i = activity.info()
        self.case_file.ask(version, i.current_time)
        return k.ask_reviewer(self.services, case, version, i.idempotency_key, i.current_time)

    @activity.defn(name="NotifyCustomer")
    def notify_customer(self, case: dict, outcome: str) -> dict:
        i = activity.info()
        return k.notify_customer(self.services, case, outcome, i.idempotency_key, i.current_time)

    @activity.defn(name="Escalate")
    def escalate(self, case: dict) -> dict:
        i = activity.info()
        return k.escalate(self.services, self.case_file, case, i.idempotency_key, i.current_time)

    def all(self) -> list[Callable]:
        return [self.check_documents, self.ask_reviewer, self.notify_customer, self.escalate]


A = KycActivities


@workflow.defn(name="kyc-review")
async def kyc_workflow(ctx: WorkflowContext, case: dict) -> dict:
    """Check → ask the reviewer → wait 14 days for a decision or new documents (which loop back)."""
    state: dict[str, Any] = {"step": "CheckDocuments", "case_id": case["case_id"], "documents_version": None,
                             "findings": [], "review_due": None, "checks": 0}
    ctx.set_query_handler(k.STATUS_QUERY, lambda: {**state, "findings": list(state["findings"])})
    checked = 0

    def newer_documents() -> bool:
        sent = ctx.signals.newDocuments
        return sent is not None and int(sent["version"]) > checked

    def decided() -> bool:
        answer = ctx.signals.reviewDecision
        return answer is not None and int(answer["documents_version"]) == checked

    outcome = ReviewOutcome.ESCALATED
    for round_ in range(1, k.MAX_DOCUMENT_SETS + 1):
        state["step"] = "CheckDocuments"
        check = await ctx.activity(A.check_documents, case, activity_id=f"check-{round_}")
        checked = int(check["documents_version"])
        state.update(documents_version=checked, findings=check["findings"], checks=round_)
        state["step"] = "AskReviewer"
        await ctx.activity(A.ask_reviewer, case, checked, activity_id=f"ask-reviewer-v{checked}")
        state["review_due"] = (ctx.now() + k.REVIEW_WINDOW).isoformat()
        state["step"] = f"waiting for {k.REVIEW_DECISION_SIGNAL} or {k.NEW_DOCUMENTS_SIGNAL}"
        more = round_ < k.MAX_DOCUMENT_SETS  # the last round the portal allows waits for a decision only
        got = await ctx.wait_condition(lambda: (more and newer_documents()) or decided(), timeout=k.REVIEW_WINDOW)
        if not got:
            state["step"] = "Escalate"
            await ctx.activity(A.escalate, case, activity_id="escalate")
            break
        if more and newer_documents():  # new documents win over a decision made on the old ones
            continue
        outcome = ReviewOutcome.APPROVED if ctx.signals.reviewDecision["decision"] == "approve" else ReviewOutcome.REJECTED
        state["step"] = "NotifyCustomer"
        await ctx.activity(A.notify_customer, case, outcome, activity_id="notify")
        break
    state["step"] = outcome
    return {"case_id": case["case_id"], "decision": outcome, "documents_version": checked, "checks": state["checks"]}


_STATUS = {ReviewOutcome.APPROVED: OutcomeStatus.COMPLETED, ReviewOutcome.REJECTED: OutcomeStatus.COMPLETED,
           ReviewOutcome.ESCALATED: OutcomeStatus.TIMED_OUT}


def run(scenario: str = "approved", *, day: float | None = None, db: str | Path = ":memory:",
        listener: Listener | None = None, answer: k.Decision = "approve") -> WorkloadRun:
    """The case on a fresh virtual clock; the scenario's customer and reviewer act on their days,
    each action preceded by a getReviewStatus query (what a support agent would see). `answer`
    is what the reviewer decides (approve in every scenario)."""
    w = k.World.open(scenario, "replay", db)
    actions = k.scenario_actions(scenario, day, answer)
    clock, store, services, case = w.clock, w.store, w.services, w.case
    trace = TraceRecorder("replay", listener)
    server = Server(store, clock, trace=trace)
    client = Client(server, [kyc_workflow])
    worker = Worker(server, workflows=[kyc_workflow], activities=KycActivities(services).all(), skip_time=True)
    client.start(kyc_workflow, k.CASE, id=k.WORKFLOW_ID)
    problems: list[str] = []
    statuses: list[tuple[float, dict[str, Any]]] = []
    for action in actions:
        worker.run(until=k.at_day(action.day))
        if client.describe(k.WORKFLOW_ID).status == "Running":
            statuses.append((action.day, client.query(k.WORKFLOW_ID, k.STATUS_QUERY)))
        problems += _act(client, case, action, clock.now())
    worker.run()
    d = client.describe(k.WORKFLOW_ID)
    worker.stop()
    result: dict[str, Any] = d.result or {}
    decision = None if result.get("decision") is None else ReviewOutcome(result["decision"])
    problems += list(worker.stats.problems)
    if d.status != "Completed":
        problems.append(f"workflow {d.status.lower()}: {(d.failure or {}).get('message', '')}")
    status = _STATUS[decision] if decision is not None else (
        OutcomeStatus.WAITING if d.status == "Running" else OutcomeStatus.FAILED)
    if decision is ReviewOutcome.ESCALATED:
        problems.append(f"no decision within {k.REVIEW_WINDOW.days} days: the durable timer fired and the case "
                        "was escalated to the KYC lead")
    observed = read_case(case, decision, statuses)
    if (note := lost_documents_note(observed)) is not None:
        problems.append(note)
    ledger = services.ledger(k.CASE_ID)
    details = ReplayDetails.of(client, k.WORKFLOW_ID, [worker])
    signals = [h["attributes"]["signal_name"] for h in details.history if h["type"] == "WorkflowExecutionSignaled"]
    outcome = outcome_from_ledger("replay", status, ledger, k.CASE_ID, slot_seconds=0.0, events=d.history_length,
                                  problems=problems, result=result_of(observed, signals=signals,
                                                                      checks=result.get("checks")))
    return WorkloadRun("replay", WorkloadName.KYC, scenario, list(trace.events), outcome, ledger, details, observed)


def _act(client: Client, case: k.CaseFile, action: k.Action, now: datetime) -> list[str]:
    """The customer uploads (then signals newDocuments) or the reviewer decides (then signals
    reviewDecision); a signal to a closed review fails as Temporal's server fails it."""
    try:
        if action.kind is ActionKind.NEW_DOCUMENTS:
            assert action.version is not None
            case.receive_documents(action.version, now)
            client.signal(k.WORKFLOW_ID, k.NEW_DOCUMENTS_SIGNAL, {"version": action.version})
        else:
            assert action.decision is not None
            row = case.decide(action.decision, now)
            client.signal(k.WORKFLOW_ID, k.REVIEW_DECISION_SIGNAL,
                          {"decision": action.decision, "documents_version": row["decided_version"]})
    except ReplayError as exc:
        return [k.late_note(action.kind.replace("-", " "), action.day) + " (SignalWorkflowExecution failed with "
                f"NotFound \"workflow execution already completed\", as Temporal's server answers; the engine said: {exc})"]
    except k.KycError as exc:
        return [k.late_note(action.kind.replace("-", " "), action.day) + f" ({exc})"]
    return []


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.KYC, "replay", SCENARIOS, frozenset({Option.DAY}), _run_with)
