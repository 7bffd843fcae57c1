"""The expense approval on the state-machine engine: the ASL in statemachine.json, bound and run.

The `ask-manager` function stores the one-time task token in the approvals inbox and emails the
manager; the manager's answer on day N reads the token back and calls SendTaskSuccess with the
decision. No answer: AskManager's TimeoutSeconds (3 days) raises States.Timeout, the Catch
auto-rejects. The execution holds no compute while it waits: it is a row and a timer.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from engines.clock import day_of
from engines.statemachine import Engine, HistoryEventType, Resources, TaskContext, TaskTokenError
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import StatemachineDetails
from workloads.expense_approval import claim as c
from workloads.expense_approval.claim import ClaimOutcome
from workloads.expense_approval.observations import ExpenseObservations
from workloads.options import Option, RunOptions
from workloads.runs import STATEMACHINE_STATUS, Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Services
from workloads.workload import WorkloadVersion

SCENARIOS = c.SCENARIOS
DEFINITION_PATH = Path(__file__).with_name("statemachine.json")
STATE_MACHINE = "expense-approval"


def definition() -> dict:
    """The ASL in statemachine.json, read fresh (callers may change their copy)."""
    return json.loads(DEFINITION_PATH.read_text())


def resources(services: Services, inbox: c.Inbox) -> Resources:
    """Bind the function names in the ARNs to the claim's service calls."""
    def ask(p: dict, ctx: TaskContext) -> dict:
        claim = p["claim"]
        inbox.ask(claim["claim_id"], ctx.now, token=p["TaskToken"])
        return c.ask_manager(services, claim, f"expense-{claim['claim_id']}-ask-manager", ctx.now)

    r = Resources()
    r.register("check-claim", lambda p, ctx: c.check_claim(p))
    r.register("ask-manager", ask)
    r.register("pay-expense", lambda p, ctx: c.pay_expense(services, p, p.get("idempotency_key"), ctx.now))
    r.register("notify-employee", lambda p, ctx: c.notify_employee(services, p["claim"], p["outcome"],
                                                                   p.get("idempotency_key"), ctx.now))
    return r


def manager_answers(engine: Engine, inbox: c.Inbox, decision: c.Decision, now: datetime) -> str | None:
    """The manager clicks approve/reject: record it, then SendTaskSuccess with the stored token.
    Returns a problem line when the token is no longer waiting (the answer came too late)."""
    row = inbox.answer(c.CLAIM_ID, decision, now)
    token = row["task_token"]
    if token is None:
        raise c.ClaimError(f"claim {c.CLAIM_ID}: the approvals inbox holds no task token to answer with")
    try:
        engine.send_task_success(token, {"decision": decision})
    except TaskTokenError as exc:
        return c.late_answer_note(day_of(now)) + f" (SendTaskSuccess: {exc})"
    return None


#: The Succeed state a claim ends in → its outcome.
_OUTCOMES: dict[str, tuple[ClaimOutcome, OutcomeStatus]] = {
    "Approved": (ClaimOutcome.APPROVED, OutcomeStatus.COMPLETED),
    "Rejected": (ClaimOutcome.REJECTED, OutcomeStatus.COMPLETED),
    "TimedOut": (ClaimOutcome.TIMED_OUT, OutcomeStatus.TIMED_OUT),
}


def run(scenario: str = "approve", *, day: float | None = None, db: str | Path = ":memory:",
        listener: Listener | None = None) -> WorkloadRun:
    """The claim on a fresh virtual clock; the manager answers on `day` (default 1) unless no-answer."""
    w = c.World.open(scenario, "statemachine", db)
    clock, store, services, inbox = w.clock, w.store, w.services, w.inbox
    recorder = TraceRecorder("statemachine", listener)
    engine = Engine(store, clock, resources(services, inbox), recorder=recorder)
    engine.create_state_machine(STATE_MACHINE, definition())
    problems: list[str] = []
    answer = c.ANSWERS[scenario]
    if answer is not None:
        clock.call_at(c.answer_time(day), lambda now: _answer(engine, inbox, answer, now, problems), "manager answers")
    arn = engine.start_execution(STATE_MACHINE, c.CLAIM, name=c.WORKFLOW_ID)
    engine.run_until_idle()

    desc = engine.describe_execution(arn)
    history = engine.get_execution_history(arn)
    ends = [e.state for e in history if e.type == HistoryEventType.SUCCEED_STATE_ENTERED]
    end = _OUTCOMES.get(ends[-1] or "") if ends else None
    decision: ClaimOutcome | None = None if end is None else end[0]
    status = STATEMACHINE_STATUS.get(desc["status"], OutcomeStatus.FAILED) if end is None else end[1]
    if decision is ClaimOutcome.TIMED_OUT:
        problems.append(f"no decision within {c.DECISION_WINDOW.days} days: AskManager's TimeoutSeconds raised "
                        "States.Timeout, the Catch auto-rejected the claim and nothing was paid")
    if desc["status"] == "FAILED":
        problems.append(f"the execution failed with {desc['error']}: {desc['cause']}")
    ledger = services.ledger(c.CLAIM_ID)
    paid = ledger.paid_out_cents(c.CLAIM_ID)
    details = StatemachineDetails.of(engine, STATE_MACHINE, arn, definition())
    observed = ExpenseObservations(decision=decision, paid_out_cents=paid, inbox=inbox.row(c.CLAIM_ID), day=day)
    outcome = outcome_from_ledger("statemachine", status, ledger, c.CLAIM_ID, slot_seconds=0.0, events=len(history),
                                  problems=problems, result={"output": desc["output"], "decision": decision,
                                                             "paid_out_cents": paid})
    return WorkloadRun("statemachine", WorkloadName.EXPENSE_APPROVAL, scenario, list(recorder.events), outcome, ledger,
                       details, observed)


def _answer(engine: Engine, inbox: c.Inbox, decision: c.Decision, now: datetime, problems: list[str]) -> None:
    if inbox.row(c.CLAIM_ID) is None:
        problems.append(f"the manager answered on day {day_of(now):g} before anyone asked")
        return
    note = manager_answers(engine, inbox, decision, now)
    if note:
        problems.append(note)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.EXPENSE_APPROVAL, "statemachine", SCENARIOS, frozenset({Option.DAY}), _run_with)
