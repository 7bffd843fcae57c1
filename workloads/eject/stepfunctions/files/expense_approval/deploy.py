"""Deploy the expense approval's state machine and play its scenarios with boto3.

    python deploy.py deploy --db /mnt/efs/world.sqlite   # Lambdas + state machine
    python deploy.py start                                # StartExecution, name expense-EXP-180
    python deploy.py answer approve                       # the manager's click: SendTaskSuccess
    python deploy.py status

Add --endpoint-url URL before the command for a local endpoint. No answer within 3 days:
AskManager's TimeoutSeconds raises States.Timeout and the Catch auto-rejects; an answer after
that is refused (TaskTimedOut) and changes nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import handlers
import sfn

from workloads.expense_approval.claim import (
    CLAIM,
    CLAIM_ID,
    WORKFLOW_ID,
    ClaimError,
    Decision,
)


def answer(c: dict[str, Any], decision: Decision) -> str | None:
    """Record the manager's decision and SendTaskSuccess({"decision": ...}) with the inbox's token.
    Returns None when delivered, else why Step Functions refused it (TaskTimedOut: too late)."""
    token = handlers.manager_answers(CLAIM_ID, decision)
    try:
        c["stepfunctions"].send_task_success(taskToken=token, output=json.dumps({"decision": decision}))
    except c["stepfunctions"].exceptions.ClientError as exc:
        return f"SendTaskSuccess refused: {exc.response['Error']['Code']}"
    return None


def main() -> None:
    parser, sub = sfn.cli(__doc__.splitlines()[0])
    a = sub.add_parser("answer", help="the manager approves or rejects: SendTaskSuccess with the stored token")
    a.add_argument("decision", choices=("approve", "reject"))
    args = parser.parse_args()
    c = sfn.clients(endpoint_url=args.endpoint_url, region=args.region)
    if sfn.common(args, c, WORKFLOW_ID, CLAIM):
        return
    if args.command == "answer":
        try:
            print(answer(c, args.decision) or "answer delivered")
        except ClaimError as exc:  # nobody asked yet: AskManager has not stored a token
            sys.exit(f"deploy.py answer: {exc}")


if __name__ == "__main__":
    main()
