"""The client side of the KYC review: open the case, send new documents, decide as the reviewer.

    python starter.py start              # document set 1 uploaded, kyc-KYC-2041 started; waits for the result
    python starter.py status             # the getReviewStatus query
    python starter.py new-documents      # the customer uploads the next document set, signals newDocuments
    python starter.py approve            # the reviewer's decision on the documents in their queue,
    python starter.py reject             #   signalled as reviewDecision

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
from workflows import KycReviewWorkflow
from workloads.kyc.case import (
    CASE,
    NEW_DOCUMENTS_SIGNAL,
    REVIEW_DECISION_SIGNAL,
    STATUS_QUERY,
    WORKFLOW_ID,
    CaseFile,
    Decision,
)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "status", "new-documents", "approve", "reject"))
    args = parser.parse_args()
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    case = CaseFile(canvas_services.store())
    handle = client.get_workflow_handle(WORKFLOW_ID)
    if args.action == "start":
        case.receive_documents(1, canvas_services.utcnow())
        handle = await client.start_workflow(KycReviewWorkflow.run, CASE, id=WORKFLOW_ID, task_queue=TASK_QUEUE)
        print(f"started {WORKFLOW_ID} (run {handle.result_run_id}); waiting for its result")
        print(json.dumps(await handle.result()))
    elif args.action == "status":
        print(json.dumps(await handle.query(STATUS_QUERY)))
    elif args.action == "new-documents":
        version = case.latest_version() + 1
        case.receive_documents(version, canvas_services.utcnow())
        await handle.signal(NEW_DOCUMENTS_SIGNAL, {"version": version})
        print(f"{NEW_DOCUMENTS_SIGNAL}(v{version}) sent to {WORKFLOW_ID}")
    else:
        decision: Decision = "approve" if args.action == "approve" else "reject"
        row = case.decide(decision, canvas_services.utcnow())
        await handle.signal(REVIEW_DECISION_SIGNAL, {"decision": decision, "documents_version": row["decided_version"]})
        print(f"{REVIEW_DECISION_SIGNAL}({decision!r} on v{row['decided_version']}) sent to {WORKFLOW_ID}")


if __name__ == "__main__":
    asyncio.run(main())
