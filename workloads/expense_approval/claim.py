"""The claim's facts, the approvals inbox and the service calls every engine's version makes.

The inbox is a small SQLite table the manager's answer lands in: the DAG's sensor polls it, the
state machine keeps its one-time callback token there, the replay version records the answer
there before the `decide` signal carries it to the workflow. One table on every engine keeps the
comparison about the engines, not about the plumbing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

from engines.clock import EPOCH, VirtualClock, as_utc
from engines.errors import WorkflowCanvasError
from engines.store import Store, open_store
from workloads.services import Services

SCENARIOS = ("approve", "reject", "no-answer")
#: The claim: a conference ticket, $180, filed by an employee, decided by her manager.
CLAIM: dict[str, Any] = {
    "claim_id": "EXP-180",
    "employee": "dana@example.com",
    "manager": "lee@example.com",
    "amount_cents": 18_000,
    "purpose": "conference ticket",
}
CLAIM_ID: str = CLAIM["claim_id"]
WORKFLOW_ID = "expense-EXP-180"
#: How long the flow waits for the manager before it auto-rejects the claim.
DECISION_WINDOW = timedelta(days=3)
#: The largest claim the submit check lets through without a second approver.
CLAIM_LIMIT_CENTS = 100_000
#: The day the manager answers when the scenario gives none.
DEFAULT_DAY = 1.0
DECIDE_SIGNAL = "decide"
STATUS_QUERY = "getClaimStatus"

Decision = Literal["approve", "reject"]
#: What each scenario has the manager answer (no-answer: nobody ever does).
ANSWERS: dict[str, Decision | None] = {"approve": "approve", "reject": "reject", "no-answer": None}


class ClaimOutcome(StrEnum):
    """How a claim ended: what the employee is told, on every engine."""

    APPROVED = "approved"
    REJECTED = "rejected"
    TIMED_OUT = "timed-out"


class ClaimStatus(TypedDict):
    """The answer to the getClaimStatus query: the step the claim's code stands at."""

    step: str
    claim_id: str


class ApprovalRow(TypedDict):
    """One claim's row in the approvals inbox (exp_approvals)."""

    claim_id: str
    asked_at: str
    task_token: str | None
    decision: Decision | None
    decided_at: str | None

SCHEMA_VERSION = 1
DDL = """
CREATE TABLE exp_approvals (
    claim_id TEXT PRIMARY KEY, asked_at TEXT NOT NULL, task_token TEXT,
    decision TEXT, decided_at TEXT
);
"""


class ClaimError(WorkflowCanvasError):
    """A claim the submit check refuses, or an answer for a claim nobody asked about."""


def answer_time(day: float | None) -> datetime:
    """When the manager answers: `day` days after day 0 (default day 1)."""
    if day is not None and not 0 <= day <= 3650:
        raise ClaimError(f"--day must be between 0 and 3650 (the day the manager answers), got {day:g}")
    return EPOCH + timedelta(days=DEFAULT_DAY if day is None else day)


def check_claim(claim: dict) -> dict:
    """The submit check a cloud function would run: a positive amount under the limit."""
    amount = claim.get("amount_cents")
    if not isinstance(amount, int) or amount <= 0:
        raise ClaimError(f"claim {claim.get('claim_id')}: amount_cents must be a positive whole number, got {amount!r}")
    if amount > CLAIM_LIMIT_CENTS:
        raise ClaimError(f"claim {claim['claim_id']}: ${amount / 100:,.2f} is over the ${CLAIM_LIMIT_CENTS / 100:,.0f} limit")
    return {"claim_id": claim["claim_id"], "checked": True, "amount_cents": amount}


class Inbox:
    """The approvals inbox: one row per claim, asked → (token) → decided."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_schema("expense_approval", SCHEMA_VERSION, DDL)

    def ask(self, claim_id: str, at: datetime, token: str | None = None) -> None:
        with self.store.transaction() as c:
            c.execute("INSERT OR REPLACE INTO exp_approvals (claim_id, asked_at, task_token) VALUES (?, ?, ?)",
                      (claim_id, as_utc(at).isoformat(), token))

    def answer(self, claim_id: str, decision: Decision, at: datetime) -> ApprovalRow:
        """Record the manager's decision; returns the row (with the task token, if one was given)."""
        if decision not in ("approve", "reject"):
            raise ClaimError(f"claim {claim_id}: a decision is 'approve' or 'reject', got {decision!r}")
        row = self.row(claim_id)
        if row is None:
            raise ClaimError(f"claim {claim_id}: the manager answered, but nobody asked (no row in exp_approvals)")
        with self.store.transaction() as c:
            c.execute("UPDATE exp_approvals SET decision = ?, decided_at = ? WHERE claim_id = ?",
                      (decision, as_utc(at).isoformat(), claim_id))
        return {**row, "decision": decision, "decided_at": as_utc(at).isoformat()}

    def decision(self, claim_id: str) -> Decision | None:
        row = self.row(claim_id)
        return None if row is None else row["decision"]

    def row(self, claim_id: str) -> ApprovalRow | None:
        r = self.store.one("SELECT * FROM exp_approvals WHERE claim_id = ?", (claim_id,))
        return None if r is None else cast(ApprovalRow, dict(r))


@dataclass
class World:
    """What every engine's run starts from: a fresh virtual clock at day 0, one database, the
    services and the inbox on it."""

    clock: VirtualClock
    store: Store
    services: Services
    inbox: Inbox

    @classmethod
    def open(cls, scenario: str, engine: str, db: str | Path = ":memory:") -> "World":
        """Check the scenario name, then set up the world (an error names the engine and the choices)."""
        if scenario not in SCENARIOS:
            raise ClaimError(f"unknown scenario {scenario!r} for expense-approval on {engine}; "
                             f"choose one of {', '.join(SCENARIOS)}")
        clock = VirtualClock(EPOCH)
        store = open_store(db)
        return cls(clock, store, Services(store, clock), Inbox(store))


# --- the service calls, with their stable idempotency keys -----------------------------------------
def ask_manager(services: Services, claim: dict, key: str | None, at: datetime) -> dict:
    return services.send_email(claim["claim_id"], claim["manager"],
                               f"approve {claim['purpose']} ${claim['amount_cents'] / 100:,.2f} for {claim['employee']}?",
                               key, at=at)


def pay_expense(services: Services, claim: dict, key: str | None, at: datetime) -> dict:
    return services.pay_expense(claim["claim_id"], claim["amount_cents"], key, at=at)


#: The employee's email per outcome.
NOTICES: dict[str, str] = {
    ClaimOutcome.APPROVED: "your claim was approved and paid",
    ClaimOutcome.REJECTED: "your claim was rejected",
    ClaimOutcome.TIMED_OUT: f"your claim was auto-rejected: no decision within {DECISION_WINDOW.days} days",
}


def notify_employee(services: Services, claim: dict, outcome: str, key: str | None, at: datetime) -> dict:
    if outcome not in NOTICES:
        raise ClaimError(f"claim {claim['claim_id']}: no notice for outcome {outcome!r}; one of {', '.join(NOTICES)}")
    return services.send_email(claim["claim_id"], claim["employee"], NOTICES[outcome], key, at=at)


def late_answer_note(day: float) -> str:
    return (f"the manager's answer on day {day:g} came after the {DECISION_WINDOW.days}-day window: "
            "the claim had already been auto-rejected, so the answer changed nothing")
