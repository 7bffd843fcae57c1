"""What the KYC case saw during a run, read from its tables: the same reading on every engine.

`read_case` is where each engine's run gets the figures that teach: which document set the
decision was made on, which sets no check ever read (documents the review lost), when the case
was escalated. They come from kyc_documents / kyc_reviews and the email ledger, not from the
engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engines.clock import day_of
from workloads.kyc.case import CaseFile, DocumentRow, ReviewOutcome, ReviewRow
from workloads.runs import Observations


@dataclass(frozen=True)
class KycObservations(Observations):
    decision: ReviewOutcome | None          # None: the run ended before any outcome
    decided_version: int | None             # the document set the reviewer's decision was made on
    latest_version: int                     # the newest set the customer uploaded
    checked_versions: list[int]             # sets a check read
    lost_versions: list[int]                # sets no check ever read: the review never saw them
    escalated_day: float | None             # when the KYC lead was told, from the queue row
    documents: list[DocumentRow] = field(default_factory=list)
    review: ReviewRow | None = None
    #: replay: getReviewStatus just before each action of the scenario, as (day, answer)
    statuses: list[tuple[float, dict[str, Any]]] = field(default_factory=list)


def read_case(case: CaseFile, decision: ReviewOutcome | None,
              statuses: list[tuple[float, dict[str, Any]]] | None = None) -> KycObservations:
    """The case's tables as an observation record."""
    docs = case.documents()
    review = case.review()
    escalated = None if review is None or review["escalated_at"] is None else review["escalated_at"]
    return KycObservations(
        decision=decision,
        decided_version=None if review is None else review["decided_version"],
        latest_version=case.latest_version(),
        checked_versions=[d["version"] for d in docs if d["checked_at"] is not None],
        lost_versions=case.unchecked_versions(),
        escalated_day=None if escalated is None else round(day_of(datetime.fromisoformat(escalated)), 4),
        documents=docs, review=review, statuses=list(statuses or []),
    )


def result_of(observed: KycObservations, **extra: Any) -> dict[str, Any]:
    """The outcome's `result`: what teaches, from the tables."""
    return {
        "decision": observed.decision,
        "decided_on_version": observed.decided_version,
        "latest_version": observed.latest_version,
        "checked_versions": observed.checked_versions,
        "documents_lost": bool(observed.lost_versions),
        "lost_versions": observed.lost_versions,
        "escalated_day": observed.escalated_day,
        **extra,
    }


def lost_documents_note(observed: KycObservations) -> str | None:
    """The problem line when a document set never reached a check."""
    if not observed.lost_versions:
        return None
    sets = ", ".join(f"v{v}" for v in observed.lost_versions)
    if observed.decided_version is not None:
        how = f"the review was decided on v{observed.decided_version}, not on the documents the customer last sent"
    else:
        ended = "" if observed.decision is None else f" ({observed.decision})"
        how = f"the review ended{ended} without ever seeing them"
    return f"the customer's documents {sets} landed in kyc_documents and no check ever read them: {how}"
