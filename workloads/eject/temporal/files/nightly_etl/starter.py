"""The client side of the nightly ETL: seed last night's source orders, run the night's job.

    python starter.py seed [--bad]      # last night's source orders (--bad: one unparseable amount)
    python starter.py start             # start nightly-etl-<ds> and wait for its result

A scheduler (a Temporal Schedule, or cron) would start it each night; here you start it by hand.
The server is TEMPORAL_ADDRESS (default localhost:7233); CANVAS_DB is the tables' SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from temporalio.client import Client

import canvas_services
from worker import TASK_QUEUE
from workflows import NightlyEtlWorkflow, workflow_id
from workloads.nightly_etl.tables import seed

DS = "2026-01-01"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("seed", "start"))
    parser.add_argument("--bad", action="store_true", help="seed one source row that cannot be parsed")
    parser.add_argument("--ds", default=DS, help=f"the night to process (default {DS})")
    args = parser.parse_args()
    if args.action == "seed":
        seed(canvas_services.store(), args.ds, bad=args.bad)
        print(f"seeded the source orders of {args.ds}" + (" with one bad row" if args.bad else ""))
        return
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    handle = await client.start_workflow(NightlyEtlWorkflow.run, args.ds, id=workflow_id(args.ds), task_queue=TASK_QUEUE)
    print(f"started {handle.id}; waiting for its result")
    print(json.dumps(await handle.result()))


if __name__ == "__main__":
    asyncio.run(main())
