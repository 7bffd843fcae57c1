"""The KYC review on the state-machine engine: the ASL in statemachine.json, bound and run.

AwaitReview is a `.waitForTaskToken` task: `ask-reviewer` puts the case in the reviewer's queue
(kyc_reviews) with the one-time task token and emails the reviewer; the decision on day N reads
the token back and calls SendTaskSuccess. TimeoutSeconds (14 days) raises States.Timeout when
nobody decides and the Catch escalates. HeartbeatSeconds (2 days): the review queue sends
SendTaskHeartbeat once a day for the open case (`heartbeats=False` plays a queue that lost it).

New documents, the Step Functions way, and what it costs: an execution takes no message but a
token answer, so the customer's upload fails the open review token (SendTaskFailure, error
KYC.NewDocuments) and AwaitReview's Catch loops back through CheckDocuments, which makes a new
token and starts a new 14 days. The documents reach the running review, but the history records
a TaskFailed that is no failure, the reviewer's old token is dead (a decision sent on it is
refused), and the upload service must hold the reviewer's token to do it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from engines.clock import day_of
from engines.statemachine import Engine, HistoryEventType, Resources, TaskContext, TaskTokenError
from engines.trace import OutcomeStatus, TraceRecorder
from workloads.details import StatemachineDetails
from workloads.kyc import case as k
from workloads.kyc.case import ActionKind, ReviewOutcome
from workloads.kyc.observations import lost_documents_note, read_case, result_of
from workloads.options import Option, RunOptions
from workloads.runs import STATEMACHINE_STATUS, Listener, WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Services
from workloads.workload import WorkloadVersion

SCENARIOS = k.SCENARIOS
DEFINITION_PATH = Path(__file__).with_name("statemachine.json")
STATE_MACHINE = "kyc-review"
NEW_DOCUMENTS_ERROR = "KYC.NewDocuments"
#: How often the review queue heartbeats an open case (AwaitReview's HeartbeatSeconds is 2 days).
HEARTBEAT_EVERY = timedelta(days=1)


def definition() -> dict:
    """The ASL in statemachine.json, read fresh (callers may change their copy)."""
    return json.loads(DEFINITION_PATH.read_text())


def resources(services: Services, case_file: k.CaseFile) -> Resources:
    """Bind the function names in the ARNs to the case's service calls."""
    def ask(p: dict, ctx: TaskContext) -> dict:
        case, version = p["case"], int(p["documents_version"])
        case_file.ask(version, ctx.now, token=p["TaskToken"])
        return k.ask_reviewer(services, case, version, k.ask_key(case["case_id"], version), ctx.now)

    r = Resources()
    r.register("check-documents", lambda p, ctx: case_file.check_latest(ctx.now))
    r.register("ask-reviewer", ask)
    r.register("notify-customer", lambda p, ctx: k.notify_customer(services, p["case"], p["outcome"],
                                                                   p.get("idempotency_key"), ctx.now))
    r.register("escalate", lambda p, ctx: k.escalate(services, case_file, p["case"], p.get("idempotency_key"), ctx.now))
    return r


def _token(case_file: k.CaseFile) -> str:
    row = case_file.review()
    if row is None or row["task_token"] is None:
        raise k.KycError(f"case {case_file.case_id}: the reviewer's queue holds no task token to answer with")
    return row["task_token"]


def act(engine: Engine, case_file: k.CaseFile, action: k.Action, now: datetime) -> str | None:
    """The customer uploads (SendTaskFailure KYC.NewDocuments on the open review token) or the
    reviewer decides (SendTaskSuccess). Returns a problem line when the token no longer waits."""
    what = action.kind.replace("-", " ")
    try:
        if action.kind is ActionKind.NEW_DOCUMENTS:
            assert action.version is not None
            case_file.receive_documents(action.version, now)
            engine.send_task_failure(_token(case_file), NEW_DOCUMENTS_ERROR,
                                     f"documents v{action.version} received on day {day_of(now):g}")
        else:
            assert action.decision is not None
            row = case_file.decide(action.decision, now)
            engine.send_task_success(_token(case_file), {"decision": action.decision,
                                                         "documents_version": row["decided_version"]})
    except TaskTokenError as exc:
        return k.late_note(what, day_of(now)) + f" ({'SendTaskFailure' if action.kind is ActionKind.NEW_DOCUMENTS else 'SendTaskSuccess'}: {exc})"
    except k.KycError as exc:
        return k.late_note(what, day_of(now)) + f" ({exc})"
    return None


def _heartbeat_daily(engine: Engine, case_file: k.CaseFile, arn: str, now: datetime) -> None:
    """The review queue's daily sweep: SendTaskHeartbeat for the open case, while the execution runs."""
    if engine.describe_execution(arn)["status"] != "RUNNING":
        return  # the sweep ends with the execution: bounded
    row = case_file.review()
    if row is not None and row["task_token"] and row["decision"] is None:
        try:
            engine.send_task_heartbeat(row["task_token"])
        except TaskTokenError:
            pass  # between tokens (a loop back through the check): the next sweep finds the new one
    engine.clock.call_at(now + HEARTBEAT_EVERY, lambda t: _heartbeat_daily(engine, case_file, arn, t),
                         "review queue heartbeat")


#: The Succeed state a case ends in → its outcome.
_OUTCOMES: dict[str, tuple[ReviewOutcome, OutcomeStatus]] = {
    "Approved": (ReviewOutcome.APPROVED, OutcomeStatus.COMPLETED),
    "Rejected": (ReviewOutcome.REJECTED, OutcomeStatus.COMPLETED),
    "Escalated": (ReviewOutcome.ESCALATED, OutcomeStatus.TIMED_OUT),
}


def run(scenario: str = "approved", *, day: float | None = None, heartbeats: bool = True,
        db: str | Path = ":memory:", listener: Listener | None = None, answer: k.Decision = "approve") -> WorkloadRun:
    """The case on a fresh virtual clock; the scenario's customer and reviewer act on their days
    (`answer`: what the reviewer decides, approve in every scenario). `heartbeats=False` plays a
    review queue that lost the case: HeartbeatSeconds escalates it after 2 days."""
    w = k.World.open(scenario, "statemachine", db)
    actions = k.scenario_actions(scenario, day, answer)
    clock, store, services, case_file = w.clock, w.store, w.services, w.case
    recorder = TraceRecorder("statemachine", listener)
    engine = Engine(store, clock, resources(services, case_file), recorder=recorder)
    engine.create_state_machine(STATE_MACHINE, definition())
    problems: list[str] = []
    arn = engine.start_execution(STATE_MACHINE, k.CASE, name=k.WORKFLOW_ID)
    if heartbeats:
        clock.call_at(clock.now() + HEARTBEAT_EVERY, lambda t: _heartbeat_daily(engine, case_file, arn, t),
                      "review queue heartbeat")
    for action in actions:  # what is due by the action's moment happens first: a timeout at the same instant wins
        engine.run_until_idle(until=k.at_day(action.day))
        if note := act(engine, case_file, action, clock.now()):
            problems.append(note)
    engine.run_until_idle()

    desc = engine.describe_execution(arn)
    history = engine.get_execution_history(arn)
    ends = [e.state for e in history if e.type == HistoryEventType.SUCCEED_STATE_ENTERED]
    end = _OUTCOMES.get(ends[-1] or "") if ends else None
    decision: ReviewOutcome | None = None if end is None else end[0]
    status = STATEMACHINE_STATUS.get(desc["status"], OutcomeStatus.FAILED) if end is None else end[1]
    rows = [e.to_json() for e in history]
    timeouts = [r for r in rows if r["type"] == "TaskTimedOut"]
    if decision is ReviewOutcome.ESCALATED:
        causes = [str((r.get("details") or {}).get("cause", "")) for r in timeouts]
        by = ("HeartbeatSeconds (the review queue stopped heartbeating)" if any("heartbeat" in c for c in causes)
              else "TimeoutSeconds (14 days)")
        problems.append(f"no decision: AwaitReview's {by} raised States.Timeout, the Catch escalated the case "
                        "to the KYC lead")
    resubmissions = sum(1 for r in rows if r["type"] == "TaskFailed"
                        and (r.get("details") or {}).get("error") == NEW_DOCUMENTS_ERROR)
    if resubmissions:
        problems.append(f"the new documents reached the review as {resubmissions} TaskFailed ({NEW_DOCUMENTS_ERROR}) "
                        "on the review token, caught and looped back through CheckDocuments: a failure in the history "
                        "that is none, and a new token and a new 14 days for the reviewer")
    if desc["status"] == "FAILED":
        problems.append(f"the execution failed with {desc['error']}: {desc['cause']}")
    observed = read_case(case_file, decision)
    if (note := lost_documents_note(observed)) is not None:
        problems.append(note)
    ledger = services.ledger(k.CASE_ID)
    details = StatemachineDetails.of(engine, STATE_MACHINE, arn, definition())
    outcome = outcome_from_ledger("statemachine", status, ledger, k.CASE_ID, slot_seconds=0.0, events=len(history),
                                  problems=problems,
                                  result=result_of(observed, execution_status=desc["status"], resubmissions=resubmissions))
    return WorkloadRun("statemachine", WorkloadName.KYC, scenario, list(recorder.events), outcome, ledger,
                       details, observed)


def _run_with(scenario: str, options: RunOptions) -> WorkloadRun:
    return run(scenario, day=options.day, db=options.db, listener=options.listener)


WORKLOAD = WorkloadVersion(WorkloadName.KYC, "statemachine", SCENARIOS, frozenset({Option.DAY}), _run_with)
