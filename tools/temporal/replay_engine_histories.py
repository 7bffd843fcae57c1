"""Measure: how many of the engine's ORDER #1001 histories the real SDK replays.

    /work/peers/temporal-venv/bin/python tools/temporal/replay_engine_histories.py [--out DIR]

Runs every ORDER #1001 scenario on this engine (workloads/order_1001/replay.py, in-memory),
writes each run's history as Temporal's JSON (`engines.replay.temporal_history.to_temporal_json`,
what `workflow-canvas replay show ID --format temporal` prints), loads it with
`temporalio.client.WorkflowHistory.from_json` and replays it with `temporalio.worker.Replayer`
against the temporalio version of the workflow (tools/temporal/order_workflow.py: v1, or v2 for
the deploy-v2 scenario, whose worker ran v2). Histories of workflow types with no temporalio
version here (order-coinflip) are listed as not replayable, not counted as passing.
Prints one line per history and the figure; exit 1 if any replay failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import order_workflow as ow  # noqa: E402  (puts the project on sys.path)

from temporalio.client import WorkflowHistory  # noqa: E402
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner  # noqa: E402

from engines.replay.temporal_history import to_temporal_json  # noqa: E402
from workloads.order_1001 import replay as order_replay  # noqa: E402


def engine_histories() -> list[tuple[str, str, dict]]:
    """(scenario, workflow id, Temporal JSON) for every run of every ORDER #1001 scenario."""
    found = []
    for scenario in order_replay.SCENARIOS + order_replay.LESSON_SCENARIOS:
        captured: list = []
        original = order_replay._collect

        def collect(s, sc, seen, captured=captured, original=original):
            for d in s.client.list():  # every run in the store, read before the store goes
                events = s.client.history(d.workflow_id, d.run_id)
                captured.append((d.workflow_id, d.workflow_type, to_temporal_json(events, workflow_id=d.workflow_id,
                                                                                   run_id=d.run_id)))
            return original(s, sc, seen)

        order_replay._collect = collect
        try:
            order_replay.run(scenario)
        finally:
            order_replay._collect = original
        found += [(scenario, wid, wtype, h) for wid, wtype, h in captured]
    return found


async def main(out: Path | None) -> int:
    histories = engine_histories()
    ok = failed = skipped = 0
    for scenario, wid, wtype, data in histories:
        name = f"{scenario}/{wid}"
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{scenario}--{wid}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        if wtype != "order":
            skipped += 1
            print(f"SKIP {name}: workflow type {wtype} has no temporalio version in tools/temporal/")
            continue
        workflow = ow.OrderWorkflowV2 if scenario == "deploy-v2" else ow.OrderWorkflow
        replayer = Replayer(workflows=[workflow], workflow_runner=UnsandboxedWorkflowRunner())  # the module reads files at import
        result = await replayer.replay_workflow(WorkflowHistory.from_json(wid, data), raise_on_replay_failure=False)
        if result.replay_failure is None:
            ok += 1
            print(f"ok   {name} ({len(data['events'])} events, {workflow.__name__})")
        else:
            failed += 1
            print(f"FAIL {name}: {type(result.replay_failure).__name__}: {result.replay_failure}")
    print(f"{ok} of {ok + failed} ORDER #1001 histories (workflow type order) replay under temporalio's Replayer; "
          f"{skipped} of another workflow type skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write each exported history here")
    args = parser.parse_args()
    code = asyncio.run(main(args.out))
    sys.stdout.flush()
    import os
    os._exit(code)
