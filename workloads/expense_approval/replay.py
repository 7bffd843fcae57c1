"""The expense approval on the replay engine: the wait is a durable timer, the answer a signal.

`expense_workflow` asks the manager, then `wait_condition(decide received, timeout=3 days)`: the
workflow is dormant while it waits (no worker held), and whichever comes first — the `decide`
signal or the timer — is recorded in the history and decides the branch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from engines.clock import day_of
from engines.replay import Client, ReplayError, RetryPolicy, Server, Worker, WorkflowContext, activity, workflow
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import ReplayDetails
from workloads.expense_approval import claim as c
from workloads.expense_approval.claim import ClaimOutcome
from workloads.expense_approval.observations import ExpenseObservations
from workloads.options import Option, RunOptions
from workloads.runs import Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Services
from workloads.workload import WorkloadVersion

SCENARIOS = c.SCENARIOS
#: Money moves: retry a sick payment API, never a refused claim.
PAYOUT_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=("ClaimError", "CardDeclined"))


class ExpenseActivities:
    """The claim's activities bound to the services; each passes its idempotency key."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @activity.defn(name="CheckClaim")
    def check_claim(self, claim: dict) -> dict:
        return c.check_claim(claim)

    @activity.defn(name="AskManager")
    def ask_manager(self, claim: dict) -> dict:
        i = activity.info()
        c.Inbox(self.services.store).ask(claim["claim_id"], i.current_time)
        return c.ask_manager(self.services, claim, i.idempotency_key, i.current_time)

    @activity.defn(name="PayExpense")
    def pay_expense(self, claim: dict) -> dict:
        i = activity.info()
        return c.pay_expense(self.services, claim, i.idempotency_key, i.current_time)

    @activity.defn(name="NotifyEmployee")
    def notify_employee(self, claim: dict, outcome: str) -> dict:
        i = activity.info()
        return c.notify_employee(self.services, claim, outcome, i.idempotency_key, i.current_time)

    def all(self) -> list[Callable]:
        return [self.check_claim, self.ask_manager, self.pay_expense, self.notify_employee]


E = ExpenseActivities


@workflow.defn(name="expense-approval")
async def expense_workflow(ctx: WorkflowContext, claim: dict) -> dict:
    """Check → ask the manager → wait up to 3 days for `decide` → pay + notify, or notify only."""
    state = {"step": "CheckClaim", "claim_id": claim["claim_id"]}
    ctx.set_query_handler(c.STATUS_QUERY, lambda: dict(state))
    await ctx.activity(E.check_claim, claim, activity_id="check")
    state["step"] = "AskManager"
    await ctx.activity(E.ask_manager, claim, activity_id="ask-manager")
    state["step"] = f"waiting for {c.DECIDE_SIGNAL} ({c.DECISION_WINDOW.days} days)"
    answered = await ctx.wait_condition(lambda: ctx.signals.decide is not None, timeout=c.DECISION_WINDOW)
    if not answered:
        outcome, paid = ClaimOutcome.TIMED_OUT, 0
    elif ctx.signals.decide == "approve":
        state["step"] = "PayExpense"
        payout = await ctx.activity(E.pay_expense, claim, activity_id="pay", retry=PAYOUT_RETRY)
        outcome, paid = ClaimOutcome.APPROVED, payout["amount_cents"]
    else:
        outcome, paid = ClaimOutcome.REJECTED, 0
    state["step"] = "NotifyEmployee"
    await ctx.activity(E.notify_employee, claim, outcome, activity_id="notify")
    state["step"] = outcome
    return {"claim_id": claim["claim_id"], "decision": outcome, "paid_cents": paid}


_STATUS = {ClaimOutcome.APPROVED: OutcomeStatus.COMPLETED, ClaimOutcome.REJECTED: OutcomeStatus.COMPLETED,
           ClaimOutcome.TIMED_OUT: OutcomeStatus.TIMED_OUT}


def run(scenario: str = "approve", *, day: float | None = None, db: str | Path = ":memory:",
        listener: Listener | None = None) -> WorkloadRun:
    """The claim on a fresh virtual clock; the manager answers on `day` (default 1) unless no-answer."""
    w = c.World.open(scenario, "replay", db)
    clock, store, services, inbox = w.clock, w.store, w.services, w.inbox
    trace = TraceRecorder("replay", listener)
    server = Server(store, clock, trace=trace)
    client = Client(server, [expense_workflow])
    worker = Worker(server, workflows=[expense_workflow], activities=ExpenseActivities(services).all(), skip_time=True)
    client.start(expense_workflow, c.CLAIM, id=c.WORKFLOW_ID)
    problems: list[str] = []
    status_before_answer: c.ClaimStatus | None = None
    answer = c.ANSWERS[scenario]
    if answer is not None:
        at = c.answer_time(day)
        worker.run(until=at)
        status_before_answer = client.query(c.WORKFLOW_ID, c.STATUS_QUERY)
        inbox.answer(c.CLAIM_ID, answer, clock.now())
        try:
            client.signal(c.WORKFLOW_ID, c.DECIDE_SIGNAL, answer)
        except ReplayError as exc:  # the run already closed: the signal has no one to go to
            problems.append(c.late_answer_note(day_of(at)) + " (SignalWorkflowExecution failed with NotFound "
                            f"\"workflow execution already completed\", as Temporal's server answers; the engine said: {exc})")
    worker.run()
    d = client.describe(c.WORKFLOW_ID)
    worker.stop()
    result: dict[str, Any] = d.result or {}
    decision = None if result.get("decision") is None else ClaimOutcome(result["decision"])
    problems += list(worker.stats.problems)
    if d.status != "Completed":
        problems.append(f"workflow {d.status.lower()}: {(d.failure or {}).get('message', '')}")
    if decision is not None:
        status = _STATUS[decision]
    else:
        status = OutcomeStatus.FAILED if d.status != "Running" else OutcomeStatus.WAITING
    if decision is ClaimOutcome.TIMED_OUT:
        problems.append(f"no decision within {c.DECISION_WINDOW.days} days: the durable timer fired, the claim was "
                        "auto-rejected and nothing was paid")
    ledger = services.ledger(c.CLAIM_ID)
    paid = ledger.paid_out_cents(c.CLAIM_ID)
    details = ReplayDetails.of(client, c.WORKFLOW_ID, [worker])
    observed = ExpenseObservations(decision=decision, paid_out_cents=paid, inbox=inbox.row(c.CLAIM_ID), day=day,
                                   status_before_answer=status_before_answer)
    outcome = outcome_from_ledger("replay", status, ledger, c.CLAIM_ID, slot_seconds=0.0, events=d.history_length,
                                  problems=problems, result={**result, "paid_out_cents": paid})
    return WorkloadRun("replay", WorkloadName.EXPENSE_APPROVAL, scenario, list(trace.events), outcome, ledger,
                       details, observed)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.EXPENSE_APPROVAL, "replay", SCENARIOS, frozenset({Option.DAY}), _run_with)
