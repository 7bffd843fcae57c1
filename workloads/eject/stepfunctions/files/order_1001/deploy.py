"""Deploy ORDER #1001's state machine and play its scenarios with boto3.

    python deploy.py deploy --db /mnt/efs/world.sqlite   # Lambdas + state machine (version 1)
    python deploy.py start                                # StartExecution, name order-1001
    python deploy.py cancel                               # the customer's cancelOrder: SendTaskFailure
    python deploy.py stop                                 # StopExecution instead: ABORTED, nothing refunded
    python deploy.py publish-v2                           # version 2 (FraudCheck) + order-1002 on it
    python deploy.py status

Add --endpoint-url URL before the command for a local endpoint. A cancel only reaches the order
while WaitForCancelOrder holds its task token (the first 30 days): Step Functions has no signal,
only the token of a waiting callback task.
"""

from __future__ import annotations

from typing import Any

import handlers
import sfn

from workloads.order_1001.order import ORDER_ID, WORKFLOW_ID, order

CANCEL_ERROR = "OrderCancelled"


def cancel(c: dict[str, Any], order_id: str = ORDER_ID) -> str | None:
    """SendTaskFailure(OrderCancelled) with the token the cancel mailbox holds. Returns None when
    it was delivered, else why not (no token, or Step Functions refused it: TaskTimedOut...)."""
    token = handlers.cancel_token(order_id)
    if token is None:
        return "no task token in the cancel mailbox: WaitForCancelOrder never started"
    try:
        c["stepfunctions"].send_task_failure(taskToken=token, error=CANCEL_ERROR, cause="cancelOrder from the customer")
    except c["stepfunctions"].exceptions.ClientError as exc:
        return f"SendTaskFailure refused: {exc.response['Error']['Code']}"
    return None


def publish_v2(c: dict[str, Any], state_machine_arn: str) -> str:
    """Publish version 2 (FraudCheck after ChargeCard) and start ORDER #1002 on it; #1001 keeps
    version 1. Returns #1002's execution ARN.

    #1002 starts on the state machine's ARN, which runs its latest revision (version 2, just
    published): moto 5.2.5 cannot start an execution on a version ARN, AWS can."""
    sfn.publish(c, state_machine_arn, 2, "version 2: FraudCheck after ChargeCard")
    return sfn.start(c, state_machine_arn, "order-1002", order("1002"))


def main() -> None:
    parser, sub = sfn.cli(__doc__.splitlines()[0])
    sub.add_parser("cancel", help="deliver cancelOrder: SendTaskFailure(OrderCancelled) with the stored token")
    sub.add_parser("publish-v2", help="publish version 2 and start order-1002 on it")
    args = parser.parse_args()
    c = sfn.clients(endpoint_url=args.endpoint_url, region=args.region)
    if sfn.common(args, c, WORKFLOW_ID, order()):
        return
    if args.command == "cancel":
        print(cancel(c) or "cancelOrder delivered")
    elif args.command == "publish-v2":
        region, account = c["stepfunctions"].meta.region_name, c["sts"].get_caller_identity()["Account"]
        print(publish_v2(c, f"arn:aws:states:{region}:{account}:stateMachine:{sfn.resources()['state_machine']}"))


if __name__ == "__main__":
    main()
