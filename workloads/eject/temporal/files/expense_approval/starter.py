"""The client side of the claim: file it, ask where it stands, answer it as the manager.

    python starter.py start             # start expense-EXP-180 and wait for its result
    python starter.py status            # the getClaimStatus query
    python starter.py approve           # the manager's answer: records it in the inbox, signals `decide`
    python starter.py reject

The server is TEMPORAL_ADDRESS (default localhost:7233); CANVAS_DB is the world's SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from temporalio.client import Client

import canvas_services
from worker import TASK_QUEUE
from workflows import ExpenseWorkflow
from workloads.expense_approval.claim import CLAIM, CLAIM_ID, DECIDE_SIGNAL, STATUS_QUERY, WORKFLOW_ID, Decision, Inbox


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "status", "approve", "reject"))
    args = parser.parse_args()
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    if args.action == "start":
        handle = await client.start_workflow(ExpenseWorkflow.run, CLAIM, id=WORKFLOW_ID, task_queue=TASK_QUEUE)
        print(f"started {WORKFLOW_ID} (run {handle.result_run_id}); waiting for its result")
        print(json.dumps(await handle.result()))
    elif args.action == "status":
        print(json.dumps(await client.get_workflow_handle(WORKFLOW_ID).query(STATUS_QUERY)))
    else:
        decision: Decision = "approve" if args.action == "approve" else "reject"
        Inbox(canvas_services.store()).answer(CLAIM_ID, decision, canvas_services.utcnow())
        await client.get_workflow_handle(WORKFLOW_ID).signal(DECIDE_SIGNAL, decision)
        print(f"{DECIDE_SIGNAL}({decision!r}) sent to {WORKFLOW_ID}")


if __name__ == "__main__":
    asyncio.run(main())
