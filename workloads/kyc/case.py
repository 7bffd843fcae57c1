"""The KYC case's facts, its two tables and the service calls every engine's version makes.

A new bank customer uploads identity and address documents; the documents are checked, a
compliance reviewer is asked for a decision within 14 days, the customer may send new documents
while the review waits (they must reset the check and reach the running review), and nobody
answering in 14 days escalates the case to the KYC lead.

Two small SQLite tables hold what the world outside the engines knows, on every engine alike
(as workloads/expense_approval/claim.py's inbox does):

* `kyc_documents`: every document set the customer uploaded (version 1, 2, ...), and when a
  check read it. A version no check ever read is documents the review never saw.
* `kyc_reviews`: the reviewer's queue row for the case: which documents version it shows the
  reviewer, the Step Functions task token, the reviewer's decision and the version it was made on,
  and the escalation.

The outcome is read from these tables and from the email service's ledger, never from an
engine's account of itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

from engines.clock import EPOCH, VirtualClock, as_utc
from engines.errors import WorkflowCanvasError
from engines.store import Store, open_store
from workloads.services import Services

SCENARIOS = ("approved", "new-documents", "no-answer")
#: The case: a new customer, the compliance reviewer's queue, and who is told when it stalls.
CASE: dict[str, Any] = {
    "case_id": "KYC-2041",
    "customer": "ana.silva@example.com",
    "reviewer": "compliance-queue@bank.example",
    "kyc_lead": "kyc-lead@bank.example",
}
CASE_ID: str = CASE["case_id"]
WORKFLOW_ID = "kyc-KYC-2041"
#: How long a reviewer has to decide on the documents in front of them. Each new document set
#: starts the window again: the reviewer gets 14 days for what they are actually looking at.
REVIEW_WINDOW = timedelta(days=14)
#: A proof of address older than this is a finding of the check.
ADDRESS_PROOF_MAX_AGE = timedelta(days=90)
#: The most document sets one case takes: the portal refuses more, so every engine's loop is bounded.
MAX_DOCUMENT_SETS = 5

REVIEW_DECISION_SIGNAL = "reviewDecision"
NEW_DOCUMENTS_SIGNAL = "newDocuments"
STATUS_QUERY = "getReviewStatus"

Decision = Literal["approve", "reject"]


class ReviewOutcome(StrEnum):
    """How a review ended: what the customer (or the KYC lead) is told, on every engine."""

    APPROVED = "approved"
    REJECTED = "rejected"
    ESCALATED = "escalated"


class ActionKind(StrEnum):
    """What happens to the case from outside the engine: the customer uploads, the reviewer decides."""

    NEW_DOCUMENTS = "new-documents"
    DECISION = "decision"


@dataclass(frozen=True)
class Action:
    """One thing the world does to the case on a given day."""

    day: float
    kind: ActionKind
    decision: Decision | None = None  # for DECISION
    version: int | None = None        # for NEW_DOCUMENTS: the document set the customer uploads


#: The documents the customer uploads at the start (version 1) and on day 5 (version 2): the first
#: proof of address is a utility bill from September, older than 90 days; the second is fresh.
DOCUMENT_SETS: dict[int, list[dict[str, str]]] = {
    1: [{"kind": "identity", "file": "passport.pdf", "dated": "2024-03-02"},
        {"kind": "address", "file": "utility-bill-2025-09.pdf", "dated": "2025-09-15"}],
    2: [{"kind": "identity", "file": "passport.pdf", "dated": "2024-03-02"},
        {"kind": "address", "file": "bank-statement-2026-01.pdf", "dated": "2026-01-04"}],
}
#: The day the reviewer decides when `--day` gives none, per scenario.
DEFAULT_DECISION_DAY = {"approved": 3.0, "new-documents": 9.0}
NEW_DOCUMENTS_DAY = 5.0


class DocumentRow(TypedDict):
    """One document set the customer uploaded (kyc_documents)."""

    case_id: str
    version: int
    received_at: str
    documents: str          # JSON list of {kind, file, dated}
    checked_at: str | None  # when a check last read this set; None: no check ever did
    findings: str | None    # JSON list of what the check found


class ReviewRow(TypedDict):
    """The case's row in the reviewer's queue (kyc_reviews)."""

    case_id: str
    documents_version: int       # the set the reviewer is shown (the last one checked)
    asked_at: str
    task_token: str | None       # Step Functions: the review task's token
    decision: Decision | None
    decided_version: int | None  # the set the decision was made on
    decided_at: str | None
    escalated_at: str | None


SCHEMA_VERSION = 1
DDL = """
CREATE TABLE kyc_documents (
    case_id TEXT NOT NULL, version INTEGER NOT NULL, received_at TEXT NOT NULL, documents TEXT NOT NULL,
    checked_at TEXT, findings TEXT, PRIMARY KEY (case_id, version)
);
CREATE TABLE kyc_reviews (
    case_id TEXT PRIMARY KEY, documents_version INTEGER NOT NULL, asked_at TEXT NOT NULL, task_token TEXT,
    decision TEXT, decided_version INTEGER, decided_at TEXT, escalated_at TEXT
);
"""


class KycError(WorkflowCanvasError):
    """A document set, decision or day the case cannot take; the message names which."""


def scenario_actions(scenario: str, day: float | None, decision: Decision = "approve") -> list[Action]:
    """What the scenario does to the case, in time order; `day` moves the reviewer's decision and
    `decision` is what they decide (the scenarios approve)."""
    if day is not None and not 0 <= day <= 3650:
        raise KycError(f"--day must be between 0 and 3650 (the day the reviewer decides), got {day:g}")
    if decision not in ("approve", "reject"):
        raise KycError(f"the reviewer's decision is 'approve' or 'reject', got {decision!r}")
    actions: list[Action] = []
    if scenario == "new-documents":
        actions.append(Action(NEW_DOCUMENTS_DAY, ActionKind.NEW_DOCUMENTS, version=2))
    if scenario in DEFAULT_DECISION_DAY:
        actions.append(Action(DEFAULT_DECISION_DAY[scenario] if day is None else day, ActionKind.DECISION,
                              decision=decision))
    return sorted(actions, key=lambda a: a.day)  # stable: a decision given on day 5 comes after the upload


def at_day(day: float) -> datetime:
    return EPOCH + timedelta(days=day)


def check_documents(documents: list[dict[str, str]], version: int, now: datetime) -> dict[str, Any]:
    """The document check: one identity document, one proof of address no older than 90 days.

    It reports findings rather than deciding: the decision is the reviewer's."""
    kinds = [d.get("kind") for d in documents]
    findings: list[str] = []
    for needed in ("identity", "address"):
        if needed not in kinds:
            findings.append(f"no {needed} document")
    for d in documents:
        if d.get("kind") != "address":
            continue
        try:
            dated = date.fromisoformat(d.get("dated", ""))
        except ValueError:
            findings.append(f"{d.get('file')}: 'dated' is not a YYYY-MM-DD date ({d.get('dated')!r})")
            continue
        age = as_utc(now).date() - dated
        if age > ADDRESS_PROOF_MAX_AGE:
            findings.append(f"proof of address {d.get('file')} is dated {dated}: {age.days} days old, "
                            f"over {ADDRESS_PROOF_MAX_AGE.days}")
    return {"documents_version": version, "findings": findings, "clear": not findings}


class CaseFile:
    """The case's two tables: the document sets received and the reviewer's queue row."""

    def __init__(self, store: Store, case_id: str = CASE_ID) -> None:
        self.store = store
        self.case_id = case_id
        store.ensure_schema("kyc", SCHEMA_VERSION, DDL)

    # --- the customer's portal ---------------------------------------------------------------
    def receive_documents(self, version: int, at: datetime) -> None:
        """The customer uploads document set `version` (the next one; at most MAX_DOCUMENT_SETS)."""
        if version not in DOCUMENT_SETS:
            raise KycError(f"case {self.case_id}: no document set {version}; the portal has {sorted(DOCUMENT_SETS)}")
        expected = self.latest_version() + 1
        if version != expected:
            raise KycError(f"case {self.case_id}: document set {version} uploaded, but the next one is {expected}")
        if version > MAX_DOCUMENT_SETS:
            raise KycError(f"case {self.case_id}: at most {MAX_DOCUMENT_SETS} document sets per case")
        with self.store.transaction() as c:
            c.execute("INSERT INTO kyc_documents (case_id, version, received_at, documents) VALUES (?, ?, ?, ?)",
                      (self.case_id, version, as_utc(at).isoformat(), json.dumps(DOCUMENT_SETS[version])))

    # --- the check ---------------------------------------------------------------------------
    def check_latest(self, now: datetime) -> dict[str, Any]:
        """Check the newest document set and record that the check read it."""
        row = self.document(self.latest_version())
        if row is None:
            raise KycError(f"case {self.case_id}: nothing to check, no documents received (kyc_documents is empty)")
        result = check_documents(json.loads(row["documents"]), row["version"], now)
        with self.store.transaction() as c:
            c.execute("UPDATE kyc_documents SET checked_at = ?, findings = ? WHERE case_id = ? AND version = ?",
                      (as_utc(now).isoformat(), json.dumps(result["findings"]), self.case_id, row["version"]))
        return result

    # --- the reviewer's queue ----------------------------------------------------------------
    def ask(self, version: int, at: datetime, token: str | None = None) -> None:
        """Put the case (documents `version`) in front of the reviewer; a new ask replaces the old."""
        with self.store.transaction() as c:
            c.execute("INSERT OR REPLACE INTO kyc_reviews (case_id, documents_version, asked_at, task_token) "
                      "VALUES (?, ?, ?, ?)", (self.case_id, version, as_utc(at).isoformat(), token))

    def decide(self, decision: Decision, at: datetime) -> ReviewRow:
        """The reviewer's decision on the documents the queue shows them; returns the row."""
        if decision not in ("approve", "reject"):
            raise KycError(f"case {self.case_id}: a decision is 'approve' or 'reject', got {decision!r}")
        row = self.review()
        if row is None:
            raise KycError(f"case {self.case_id}: the reviewer decided, but the case is not in the queue (no kyc_reviews row)")
        if row["escalated_at"] is not None:
            raise KycError(f"case {self.case_id}: already escalated to the KYC lead ({row['escalated_at']}); "
                           "the reviewer's queue no longer takes a decision")
        if row["decision"] is not None:
            raise KycError(f"case {self.case_id}: already decided ({row['decision']} on documents v{row['decided_version']})")
        when = as_utc(at).isoformat()
        with self.store.transaction() as c:
            c.execute("UPDATE kyc_reviews SET decision = ?, decided_version = ?, decided_at = ? WHERE case_id = ?",
                      (decision, row["documents_version"], when, self.case_id))
        return {**row, "decision": decision, "decided_version": row["documents_version"], "decided_at": when}

    def escalate(self, at: datetime) -> None:
        with self.store.transaction() as c:
            c.execute("UPDATE kyc_reviews SET escalated_at = ? WHERE case_id = ?", (as_utc(at).isoformat(), self.case_id))

    # --- reading back ------------------------------------------------------------------------
    def latest_version(self) -> int:
        r = self.store.one("SELECT MAX(version) AS v FROM kyc_documents WHERE case_id = ?", (self.case_id,))
        return 0 if r is None or r["v"] is None else int(r["v"])

    def document(self, version: int) -> DocumentRow | None:
        r = self.store.one("SELECT * FROM kyc_documents WHERE case_id = ? AND version = ?", (self.case_id, version))
        return None if r is None else cast(DocumentRow, dict(r))

    def documents(self) -> list[DocumentRow]:
        rows = self.store.query("SELECT * FROM kyc_documents WHERE case_id = ? ORDER BY version", (self.case_id,))
        return [cast(DocumentRow, dict(r)) for r in rows]

    def review(self) -> ReviewRow | None:
        r = self.store.one("SELECT * FROM kyc_reviews WHERE case_id = ?", (self.case_id,))
        return None if r is None else cast(ReviewRow, dict(r))

    def decision(self) -> Decision | None:
        row = self.review()
        return None if row is None else row["decision"]

    def unchecked_versions(self) -> list[int]:
        """Document sets no check ever read: what the review never saw."""
        return [d["version"] for d in self.documents() if d["checked_at"] is None]


@dataclass
class World:
    """What every engine's run starts from: a fresh virtual clock at day 0, one database, the
    services and the case file on it, with document set 1 already uploaded."""

    clock: VirtualClock
    store: Store
    services: Services
    case: CaseFile

    @classmethod
    def open(cls, scenario: str, engine: str, db: str | Path = ":memory:") -> World:
        """Check the scenario name, then set up the world (an error names the engine and the choices)."""
        if scenario not in SCENARIOS:
            raise KycError(f"unknown scenario {scenario!r} for kyc-review on {engine}; choose one of {', '.join(SCENARIOS)}")
        clock = VirtualClock(EPOCH)
        store = open_store(db)
        case = CaseFile(store)
        if case.latest_version():
            raise KycError(f"{db}: case {case.case_id} is already in this database (kyc_documents); "
                           "a run starts from a fresh one")
        case.receive_documents(1, clock.now())
        return cls(clock, store, Services(store, clock), case)


# --- the service calls, with their stable idempotency keys -----------------------------------------
def ask_reviewer(services: Services, case: dict, version: int, key: str | None, at: datetime) -> dict:
    return services.send_email(case["case_id"], case["reviewer"],
                               f"review case {case['case_id']}: documents v{version}", key, at=at)


#: The customer's email per outcome (an escalation goes to the KYC lead instead).
NOTICES: dict[str, str] = {
    ReviewOutcome.APPROVED: "your account is verified",
    ReviewOutcome.REJECTED: "we could not verify your identity",
}


def notify_customer(services: Services, case: dict, outcome: str, key: str | None, at: datetime) -> dict:
    if outcome not in NOTICES:
        raise KycError(f"case {case['case_id']}: no notice for outcome {outcome!r}; one of {', '.join(NOTICES)}")
    return services.send_email(case["case_id"], case["customer"], NOTICES[outcome], key, at=at)


def escalate(services: Services, case_file: CaseFile, case: dict, key: str | None, at: datetime) -> dict:
    """Nobody decided in 14 days: the KYC lead is told, and the queue row records when."""
    case_file.escalate(at)
    return services.send_email(case["case_id"], case["kyc_lead"],
                               f"case {case['case_id']}: no reviewer decision, escalated to you", key, at=at)


def ask_key(case_id: str, version: int) -> str:
    return f"kyc-{case_id}-ask-reviewer-v{version}"


def late_note(what: str, day: float) -> str:
    return f"the {what} on day {day:g} came after the review had closed: it changed nothing"
