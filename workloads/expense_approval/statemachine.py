"""The expense approval on the state-machine engine: the ASL in statemachine.json, bound and run.

The `ask-manager` function stores the one-time task token in the approvals inbox and emails the
manager; the manager's answer on day N reads the token back and calls SendTaskSuccess with the
decision. No answer: AskManager's TimeoutSeconds (3 days) raises States.Timeout, the Catch
auto-rejects. The execution holds no compute while it waits: it is a row and a timer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engines.clock import day_of
from engines.statemachine import Engine, Resources, TaskContext, TaskTokenError, state_list
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.expense_approval import claim as c
from workloads.runs import STATEMACHINE_STATUS, WorkloadRun, outcome_from_ledger
from workloads.services import Services

SCENARIOS = c.SCENARIOS
DEFINITION_PATH = Path(__file__).with_name("statemachine.json")
STATE_MACHINE = "expense-approval"


def definition() -> dict:
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


def manager_answers(engine: Engine, inbox: c.Inbox, decision: c.Decision, now) -> str | None:
    """The manager clicks approve/reject: record it, then SendTaskSuccess with the stored token.
    Returns a problem line when the token is no longer waiting (the answer came too late)."""
    row = inbox.answer(c.CLAIM_ID, decision, now)
    try:
        engine.send_task_success(row["task_token"], {"decision": decision})
    except TaskTokenError as exc:
        return c.late_answer_note(day_of(now)) + f" (SendTaskSuccess: {exc})"
    return None


_OUTCOMES = {"Approved": ("approved", OutcomeStatus.COMPLETED), "Rejected": ("rejected", OutcomeStatus.COMPLETED),
             "TimedOut": ("timed-out", OutcomeStatus.TIMED_OUT)}


def run(scenario: str = "approve", *, day: float | None = None, db: str | Path = ":memory:", listener=None) -> WorkloadRun:
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
    ends = [e.state for e in history if e.type == "SucceedStateEntered"]
    decision, status = _OUTCOMES.get(ends[-1] if ends else "", (None, STATEMACHINE_STATUS.get(desc["status"], OutcomeStatus.FAILED)))
    if decision == "timed-out":
        problems.append(f"no decision within {c.DECISION_WINDOW.days} days: AskManager's TimeoutSeconds raised "
                        "States.Timeout, the Catch auto-rejected the claim and nothing was paid")
    if desc["status"] == "FAILED":
        problems.append(f"the execution failed with {desc['error']}: {desc['cause']}")
    ledger = services.ledger(c.CLAIM_ID)
    paid = ledger.paid_out_cents(c.CLAIM_ID)
    extra: dict[str, Any] = {"states": state_list(definition()), "state_machine": STATE_MACHINE, "execution_arn": arn,
                             "execution_status": desc["status"], "history": [e.to_json() for e in history],
                             "decision": decision, "paid_out_cents": paid, "inbox": inbox.row(c.CLAIM_ID)}
    outcome = outcome_from_ledger("statemachine", status, ledger, c.CLAIM_ID, slot_seconds=0.0, events=len(history),
                                  problems=problems, result={"output": desc["output"], "decision": decision,
                                                             "paid_out_cents": paid})
    return WorkloadRun("statemachine", "expense-approval", scenario, list(recorder.events), outcome, ledger, extra)


def _answer(engine: Engine, inbox: c.Inbox, decision: c.Decision, now, problems: list[str]) -> None:
    if inbox.row(c.CLAIM_ID) is None:
        problems.append(f"the manager answered on day {day_of(now):g} before anyone asked")
        return
    note = manager_answers(engine, inbox, decision, now)
    if note:
        problems.append(note)
