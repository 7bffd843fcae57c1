"""Deploy the nightly ETL's state machine and run last night's refresh with boto3.

    python deploy.py seed --db /mnt/efs/world.sqlite      # last night's source orders (--bad: one bad row)
    python deploy.py deploy --db /mnt/efs/world.sqlite    # Lambdas + state machine
    python deploy.py start                                 # StartExecution for DS (2026-01-01)
    python deploy.py status

Add --endpoint-url URL before the command for a local endpoint. `deploy --transient-failures N`
makes the first N transforms of a warm container drop the warehouse connection (flaky-transform).
"""

from __future__ import annotations

import sfn

from engines.clock import EPOCH
from engines.store import open_store
from workloads.nightly_etl.tables import seed

#: The night the exported run refreshes (the mini-engines' day 0).
DS = EPOCH.date().isoformat()
EXECUTION_NAME = f"nightly-etl-{DS}"


def main() -> None:
    parser, sub = sfn.cli(__doc__.splitlines()[0])
    s = sub.add_parser("seed", help="write last night's source orders into the database")
    s.add_argument("--db", required=True)
    s.add_argument("--bad", action="store_true", help="add one unparseable amount (the bad-data scenario)")
    for action in sub.choices.values():
        if action.prog.endswith(" deploy"):
            action.add_argument("--transient-failures", type=int, default=0)
    args = parser.parse_args()
    if args.command == "seed":
        seed(open_store(args.db), DS, bad=args.bad)
        return
    c = sfn.clients(endpoint_url=args.endpoint_url, region=args.region)
    environment = {"TRANSIENT_WAREHOUSE_FAILURES": str(getattr(args, "transient_failures", 0))}
    sfn.common(args, c, EXECUTION_NAME, {"ds": DS}, environment)


if __name__ == "__main__":
    main()
