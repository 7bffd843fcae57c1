"""Deploy the KYC review's state machine and play its scenarios with boto3.

    python deploy.py deploy --db /mnt/efs/world.sqlite   # Lambdas + state machine
    python deploy.py start                                # StartExecution, name kyc-KYC-2041
    python deploy.py heartbeat                            # the review queue's daily sweep
    python deploy.py new-documents 2                      # the customer uploads set 2: SendTaskFailure
    python deploy.py decide approve                       # the reviewer: SendTaskSuccess
    python deploy.py status

Add --endpoint-url URL before the command for a local endpoint. AwaitReview waits 14 days
(TimeoutSeconds) and needs a heartbeat every 2 days (HeartbeatSeconds): run `heartbeat` daily,
from a schedule, while the case is open.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import handlers
import sfn

from engines.clock import day_of
from workloads.kyc.case import CASE, WORKFLOW_ID, Decision, KycError

NEW_DOCUMENTS_ERROR = "KYC.NewDocuments"


def _refused(exc: Any, call: str) -> str:
    return f"{call} refused: {exc.response['Error']['Code']}"


def heartbeat(c: dict[str, Any]) -> str | None:
    """SendTaskHeartbeat for the open review, if there is one. Returns why not, or None."""
    token = handlers.open_review_token()
    if token is None:
        return "no open review to heartbeat"
    try:
        c["stepfunctions"].send_task_heartbeat(taskToken=token)
    except c["stepfunctions"].exceptions.ClientError as exc:
        return _refused(exc, "SendTaskHeartbeat")
    return None


def new_documents(c: dict[str, Any], version: int) -> str | None:
    """The customer's upload: record the set, then fail the open review token with KYC.NewDocuments
    (the Catch loops back through CheckDocuments). Returns why it did not reach the review, or None."""
    now = handlers.clock()
    handlers.case_file().receive_documents(version, now)
    try:
        c["stepfunctions"].send_task_failure(taskToken=handlers.review_token(), error=NEW_DOCUMENTS_ERROR,
                                             cause=f"documents v{version} received on day {day_of(now):g}")
    except c["stepfunctions"].exceptions.ClientError as exc:
        return _refused(exc, "SendTaskFailure")
    return None


def decide(c: dict[str, Any], decision: Decision) -> str | None:
    """The reviewer's decision: record it, then SendTaskSuccess with it. Returns why Step Functions
    refused it (the review timed out, or new documents replaced its token), or None."""
    row = handlers.case_file().decide(decision, handlers.clock())
    try:
        c["stepfunctions"].send_task_success(taskToken=handlers.review_token(), output=json.dumps(
            {"decision": decision, "documents_version": row["decided_version"]}))
    except c["stepfunctions"].exceptions.ClientError as exc:
        return _refused(exc, "SendTaskSuccess")
    return None


def main() -> None:
    parser, sub = sfn.cli(__doc__.splitlines()[0])
    sub.add_parser("heartbeat", help="SendTaskHeartbeat for the open review (the queue's daily sweep)")
    n = sub.add_parser("new-documents", help="the customer uploads a document set: SendTaskFailure(KYC.NewDocuments)")
    n.add_argument("version", type=int)
    d = sub.add_parser("decide", help="the reviewer's decision: SendTaskSuccess with the stored token")
    d.add_argument("decision", choices=("approve", "reject"))
    args = parser.parse_args()
    c = sfn.clients(endpoint_url=args.endpoint_url, region=args.region)
    if sfn.common(args, c, WORKFLOW_ID, CASE):
        return
    try:
        if args.command == "heartbeat":
            print(heartbeat(c) or "heartbeat sent")
        elif args.command == "new-documents":
            print(new_documents(c, args.version) or "new documents delivered")
        elif args.command == "decide":
            print(decide(c, args.decision) or "decision delivered")
    except KycError as exc:
        sys.exit(f"deploy.py {args.command}: {exc}")


if __name__ == "__main__":
    main()
