"""Deploy the subscription renewal's state machine and play its customer with boto3.

    python deploy.py seed --db /mnt/efs/world.sqlite      # the subscription row (--expiring: the card lapses)
    python deploy.py deploy --db /mnt/efs/world.sqlite    # Lambdas + state machine
    python deploy.py start                                 # StartExecution SUB-42-from-renewal-1
    python deploy.py cancel                                # the account page: status canceled
    python deploy.py change-price                          # the business: the new monthly price ($18.00)
    python deploy.py update-card                           # the customer adds a new card
    python deploy.py status

Add --endpoint-url URL before the command for a local endpoint. The account-page commands write
the subscriptions table and call no Step Functions API: a running execution takes no input, so
its next renewal's charge function reads them. Every 11 renewals the execution starts its
successor (states:startExecution, named SUB-42-from-renewal-N) and succeeds, inside the
one-year maximum of a Standard execution; `status` shows the first, list the others with
`aws stepfunctions list-executions`.
"""

from __future__ import annotations

from datetime import datetime

import handlers
import sfn

from engines.clock import EPOCH
from engines.store import open_store
from workloads.subscription import billing as b
from workloads.subscription.statemachine import first_input  # renewal 1, the hand-over after 11

EXECUTION_NAME = f"{b.SUB_ID}-from-renewal-1"


def seed(db: str, expiring: bool = False) -> None:
    """The customer's subscription row, with the card on file (one that lapses, for `declined`)."""
    store = open_store(db)
    try:
        b.Subscriptions(store).create(b.EXPIRING_CARD if expiring else b.CARD, EPOCH)
    finally:
        store.close()


def account_page(kind: b.CustomerAction, now: datetime | None = None) -> dict[str, object]:
    """What the account page writes (cancel, change-price, update-card): the row, as now stored."""
    when = now or handlers.clock()
    return dict(b.apply(handlers.subscriptions(), b.Action(kind, when), when))


def main() -> None:
    parser, sub = sfn.cli(__doc__.splitlines()[0])
    s = sub.add_parser("seed", help="write the subscription row into the database")
    s.add_argument("--db", required=True)
    s.add_argument("--expiring", action="store_true", help="a card that lapses before renewal 5 (declined)")
    for kind in b.CustomerAction:
        sub.add_parser(kind.value, help=f"the account page: {kind.value.replace('-', ' ')}")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.db, args.expiring)
        return
    if args.command in {k.value for k in b.CustomerAction}:
        print(account_page(b.CustomerAction(args.command)))
        return
    c = sfn.clients(endpoint_url=args.endpoint_url, region=args.region)
    sfn.common(args, c, EXECUTION_NAME, first_input())


if __name__ == "__main__":
    main()
