"""Scene 10: two child ShipmentWorkflows with their own histories, and a loop against the limit.

Part 1: ORDER #1001 charges, reserves and starts one child ShipmentWorkflow per warehouse; with
the knob on, the shipping service refuses WH-West's shipment and only that child fails.
Part 2: a ticker that loops 60 times (a durable timer each) against a history limit. Temporal's
limits are 10,240 events (warn) and 51,200 (terminate); the demo uses 100 and 200 so it runs
in a blink. Without continue-as-new the run is terminated at the limit; with it, the run
restarts with the same workflow id, a fresh history and the tick count carried over.
"""

from __future__ import annotations

from engines.replay import HistoryLimits, TraceKind
from engines.trace import OutcomeStatus
from lessons.demos.engine import plural
from lessons.demos.result import DemoResult
from workloads.order_1001 import replay
from workloads.order_1001.order import ORDER_ID
from workloads.details import ReplayDetails
from workloads.runs import WorkloadName, WorkloadRun, outcome_from_ledger
from workloads.services import Ledger

WAREHOUSES = ("WH-East", "WH-West")
TICKS = 60
LIMITS = HistoryLimits(warn=100, terminate=200)
#: Temporal's limit.historyCount.suggestContinueAsNew (and 4 MiB of history): when its server
#: starts suggesting continue-as-new, well before the warning.
TEMPORAL_SUGGESTS_CAN = 4_096


def demo(fail_one_child: bool, continue_as_new: bool) -> DemoResult:
    split = replay.run_split(WAREHOUSES, failing="WH-West" if fail_one_child else None)
    ticker = replay.run_ticker(TICKS, continue_as_new=continue_as_new, limits=LIMITS)
    children = split["children"]
    lines = ["ORDER #1001 charges, reserves, and starts a child ShipmentWorkflow per warehouse:"]
    for wh in WAREHOUSES:
        c = children[wh]
        why = f" ({c['failure']['type']})" if c["failure"] else ""
        lines.append(f"  {wh}: {c['status']}{why}, its own history of {c['history_length']} events")
    parent = split["parent"]
    lines.append(f"The parent ({parent['status']}, {parent['history_length']} events) got both results: "
                 + "; ".join(f"{wh} {res if len(res) < 40 else res.split(':')[0]}" for wh, res in
                             sorted(parent["result"]["shipments"].items())) + ".")
    shipped = [e.detail for e in split["ledger"].of("shipment", ORDER_ID)]
    lines.append(f"Ledger: {plural(len(shipped), 'shipment')} ({', '.join(shipped)})"
                 + ("; one child's failure did not touch its sibling." if fail_one_child else "."))
    runs = ticker["runs"]
    warned = sum(1 for t in ticker["trace"] if t.kind == TraceKind.HISTORY_SIZE_WARNING)
    lines.append(f"A loop of {TICKS} ticks (a durable timer each) against a history limit of warn {LIMITS.warn} / terminate "
                 f"{LIMITS.terminate} events (Temporal: 10,240 / 51,200; small here so it runs fast):")
    for n, r in enumerate(runs, 1):
        lines.append(f"  run {n}: {r['status']} with {r['history_length']} events")
    if continue_as_new:
        lines.append(f"Each run continued as new at the warning: same workflow id, fresh history, the tick count "
                     f"carried over; all {ticker['result']['ticks']} ticks done. (Continue-as-new is suggested "
                     f"at {TEMPORAL_SUGGESTS_CAN:,} events, as Temporal's server suggests it (or at 4 MiB), long before "
                     "its 10,240-event warning; with this demo's small limits the warning comes first.)")
        loop = f"continue-as-new kept the loop alive: {len(runs)} runs of ≤{max(r['history_length'] for r in runs)} events"
    else:
        lines.append(f"Without continue-as-new the history passed the warning and hit the limit: the run was "
                     f"terminated at {runs[-1]['history_length']} events.")
        loop = f"without continue-as-new the loop was terminated at {runs[-1]['history_length']} events"
    west = children["WH-West"]["status"]
    headline = (f"WH-West failed alone, WH-East {children['WH-East']['status'].lower()}; {loop}" if west == "Failed"
                else f"both child shipments completed; {loop}")
    return DemoResult(scene="10", knobs={}, headline=headline, lines=lines, runs={"split": _split_run(split)},
                      history=children["WH-West"]["history"], figures={
                          "children": {wh: children[wh]["status"] for wh in WAREHOUSES},
                          "child_history_lengths": {wh: children[wh]["history_length"] for wh in WAREHOUSES},
                          "shipments": len(shipped), "ticker_runs": len(runs),
                          "ticker_history_lengths": [r["history_length"] for r in runs],
                          "ticker_status": ticker["final_status"], "history_warnings": warned,
                          "limits": {"warn": LIMITS.warn, "terminate": LIMITS.terminate}})


def _split_run(split: dict) -> WorkloadRun:
    ledger: Ledger = split["ledger"]
    parent = split["parent"]
    status = OutcomeStatus.COMPLETED if parent["status"] == "Completed" else OutcomeStatus.FAILED
    failed = [f"{wh}: {c['failure']['message']}" for wh, c in split["children"].items() if c["failure"]]
    outcome = outcome_from_ledger("replay", status, ledger, ORDER_ID, events=parent["history_length"], problems=failed,
                                  result=parent["result"])
    details = ReplayDetails(run_id=parent["run_id"], workflow_status=parent["status"],
                            history_length=parent["history_length"])
    return WorkloadRun(engine="replay", workload=WorkloadName.ORDER_1001, scenario="split", trace=split["trace"],
                       outcome=outcome, ledger=ledger, details=details)
