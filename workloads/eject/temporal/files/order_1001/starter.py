"""The client side of ORDER #1001: start it, ask where it stands, cancel it.

    python starter.py start           # start order-1001 and wait for its result
    python starter.py status          # the getOrderStatus query
    python starter.py cancel          # the cancelOrder signal (inside the 30 days: the saga undoes it)
    python starter.py start --order 1002   # a new order: on a v2 worker it takes the FraudCheck

The server is TEMPORAL_ADDRESS (default localhost:7233). `temporal workflow show --workflow-id
order-1001 --output json` prints the history the server recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from temporalio.client import Client

from worker import TASK_QUEUE
from workflows import OrderWorkflow
from workloads.order_1001.order import CANCEL_SIGNAL, STATUS_QUERY, order


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "status", "cancel"))
    parser.add_argument("--order", default="1001", help="the order id (default 1001)")
    args = parser.parse_args()
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    workflow_id = f"order-{args.order}"
    if args.action == "start":
        handle = await client.start_workflow(OrderWorkflow.run, order(args.order), id=workflow_id, task_queue=TASK_QUEUE)
        print(f"started {workflow_id} (run {handle.result_run_id}); waiting for its result")
        print(json.dumps(await handle.result()))
    elif args.action == "status":
        print(json.dumps(await client.get_workflow_handle(workflow_id).query(STATUS_QUERY)))
    else:
        await client.get_workflow_handle(workflow_id).signal(CANCEL_SIGNAL)
        print(f"{CANCEL_SIGNAL} sent to {workflow_id}")


if __name__ == "__main__":
    asyncio.run(main())
