"""Parallel and Map: fan out into child threads, join their results in order, fail fast or tolerate.

A Parallel starts one thread per branch, all with the same effective input; a Map starts one per
item (ItemSelector shapes each, `$$.Map.Item` names it), at most MaxConcurrency at a time. The
parent waits in JOIN; each child that ends reports here. A failed branch aborts its siblings
and fails the Parallel (`States.BranchFailed` if it gave no error); a failed item is kept as
{"Error", "Cause"} while ToleratedFailureCount/Percentage allow, else the Map fails with
`States.ExceedToleratedFailureThreshold` (or the item's error when nothing is tolerated). The
parent's Retry/Catch then handle that error like any other.

A child that ends is folded at once: its output (or error object) goes into the parent's results
and it leaves the live threads (`Execution.fold`), so a Map's live state holds only the items in
flight; the parent is stepped again only when every child is back.
"""

from __future__ import annotations

from typing import Any

from engines.statemachine import dataflow
from engines.statemachine.asl import StateType
from engines import jsonio
from engines.statemachine import distributed
from engines.statemachine.execution import ACCOUNT, REGION
from engines.statemachine.quotas import INLINE_MAP_CONCURRENCY
from engines.statemachine.resources import TaskContext
from engines.statemachine.errors import BRANCH_FAILED, QUERY_EVALUATION, RUNTIME, TOLERATED, StatesError
from engines.statemachine.execution import Execution
from engines.statemachine.history import HistoryEventType
from engines.statemachine.runtime import Runtime
from engines.statemachine.scopes import branch_key, item_processor, map_key
from engines.statemachine.tables import TokenStatus
from engines.statemachine.threads import FanOut, MapItems, Phase, Thread, ThreadStatus


def _jsonata_type(value: Any) -> str:
    """JSONata's `$type` of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else "string" if isinstance(value, str) else "object"


def map_run_arn(ex: Execution, th: Thread, state: dict) -> str:
    """The Map Run's ARN (one per Map state entry of an execution)."""
    return f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:{ex.machine}/{state.get('Label') or th.state}:{ex.name}"


def _context_of(rt: Runtime, ex: Execution, th: Thread) -> Any:
    return lambda ref: TaskContext(ex.name, th.state, None, th.retry_count, rt.clock.now(), ref, rt.facade)


def _setting(view: Any, state: dict, data: Any, field: str) -> Any:
    """A number field given as itself, as a `…Path` into the state's input, or (JSONata) as an expression."""
    if field + "Path" in state:
        return view.read(state[field + "Path"], field + "Path", data)
    value = state.get(field)
    return view.fill(value, field) if view.jsonata and isinstance(value, str) else value


def _tolerance(rt: Runtime, ex: Execution, th: Thread, state: dict) -> tuple[Any, Any]:
    """ToleratedFailureCount and ToleratedFailurePercentage (or their Paths, read from the Map's input)."""
    if not any(k.startswith("ToleratedFailure") for k in state):
        return None, None
    view = rt.view(ex, th, state)
    data = th.input if view.jsonata else dataflow.select_or_empty(th.input, state, "InputPath", view.context,
                                                                 view.variables)
    count = _setting(view, state, data, "ToleratedFailureCount")
    pct = _setting(view, state, data, "ToleratedFailurePercentage")
    for name, v, top in (("ToleratedFailureCount", count, None), ("ToleratedFailurePercentage", pct, 100)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (top and v > top)):
            raise StatesError(RUNTIME, f"Map {th.state!r}: {name} must be a number from 0{f' to {top}' if top else ''}, "
                              f"got {v!r}")
    return count, pct


def _selected(rt: Runtime, ex: Execution, th: Thread, state: dict, item: dict[str, Any]) -> Any:
    """One item as its iteration gets it: ItemSelector (or Parameters) applied, with `$$.Map.Item`."""
    selector = state.get("ItemSelector", state.get("Parameters"))
    if selector is None:
        return item["Value"]
    view = rt.view(ex, th, state, item=item)
    if view.jsonata:
        return view.fill(selector, "ItemSelector")
    data = dataflow.select_or_empty(th.input, state, "InputPath", view.context, th.vars)
    return dataflow.apply_template(selector, data, view.context, th.vars)


def _fan(th: Thread) -> FanOut:
    if th.fanout is None:
        raise StatesError(RUNTIME, f"{th.state!r} is joining no branches or iterations")
    return th.fanout


def start(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    """…StateStarted and the children: every branch, or the first MaxConcurrency items."""
    typ = state["Type"]
    view = rt.view(ex, th, state)
    fan = th.fanout = FanOut()
    ex.touch(th)
    rt.event(ex, HistoryEventType.of_state(typ, "Started"), th.state)
    if typ == StateType.PARALLEL:
        data = dataflow.state_input(state, view)
        branches = state["Branches"]
        fan.results = [None] * len(branches)
        for i, branch in enumerate(branches):
            child = rt.new_thread(ex, th, branch_key(th.scope, th.state, i), branch["StartAt"], data, th.vars, slot=i)
            fan.children.append(child.id)
            rt.ready(ex, child)
        fan.total = len(branches)
    else:
        data = th.input if view.jsonata else dataflow.select_or_empty(th.input, state, "InputPath", view.context,
                                                                     view.variables)
        if isinstance(state.get("ItemReader"), dict):
            reader = state["ItemReader"]
            params = view.fill(reader.get("Arguments"), "ItemReader/Arguments") if view.jsonata else \
                dataflow.apply_template(reader.get("Parameters"), data, view.context, view.variables)
            items = distributed.read_items(rt.resources, reader, params, _context_of(rt, ex, th))
        elif view.jsonata:
            items = view.fill(state["Items"], "Items") if "Items" in state else th.input
        else:
            items = view.read(state.get("ItemsPath", "$"), "ItemsPath", data)
        if not isinstance(items, list):
            if view.jsonata and "Items" in state:
                # AWS's words (LocalStack's state_map/items/items.py, after its recorded snapshots)
                raise StatesError(QUERY_EVALUATION, f"The JSONata expression '{state['Items']}' specified for the field "
                                  f"'Items' returned an unexpected result type. Expected 'array', but was "
                                  f"'{_jsonata_type(items)}' for value: {jsonio.dumps(items)}")
            # AWS's words (recorded: LocalStack test_state/test_state_context_object.snapshot.json)
            raise StatesError(RUNTIME, f'Reference path "{state.get("ItemsPath", "$")}" must point to array.')
        if isinstance(state.get("ItemBatcher"), dict):
            # ItemSelector shapes each item first, then the items go in batches (state-map-distributed.html)
            items = distributed.batches([_selected(rt, ex, th, state, {"Index": i, "Value": v}) for i, v in enumerate(items)],
                                        state["ItemBatcher"], lambda f: _setting(view, state["ItemBatcher"], data, f))
        fan.total = len(items)
        fan.results = [None] * len(items)
        limit = _setting(view, state, data, "MaxConcurrency") or 0
        if not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit < 0:
            raise StatesError(RUNTIME, f"Map {th.state!r}: MaxConcurrency must be a non-negative integer, got {limit!r}")
        if distributed.is_distributed(state):
            rt.event(ex, HistoryEventType.MAP_RUN_STARTED, th.state, mapRunArn=map_run_arn(ex, th, state))
        fan.map = MapItems(list(range(len(items))), items, int(limit))  # as declared (0: as many as allowed)
        spawn_items(rt, ex, th, state)
    th.phase = Phase.JOIN
    rt.transitioned(ex)


def spawn_items(rt: Runtime, ex: Execution, th: Thread, state: dict) -> None:
    """Start Map iterations while items are left and MaxConcurrency allows."""
    fan = _fan(th)
    left = fan.map
    if left is None:
        raise StatesError(RUNTIME, f"{th.state!r} has no Map items to start")
    running = fan.total - len(left.pending_items) - fan.done  # started and not back yet
    proc = item_processor(state)
    batched = "ItemBatcher" in state  # the batches were built from the selected items already
    # at most 40 iterations at once inline, 10,000 child executions distributed (whatever MaxConcurrency says)
    cap = distributed.DISTRIBUTED_CONCURRENCY if distributed.is_distributed(state) else INLINE_MAP_CONCURRENCY
    limit = min(left.limit, cap) if left.limit > 0 else cap
    while left.pending_items and running < limit and ex.running:
        i = left.pending_items.pop(0)
        item = {"Index": i, "Value": left.items[i]}
        value = item["Value"] if batched else _selected(rt, ex, th, state, item)
        child = rt.new_thread(ex, th, map_key(th.scope, th.state), proc["StartAt"], value, th.vars, slot=i, item=item)
        fan.children.append(child.id)
        rt.event(ex, HistoryEventType.MAP_ITERATION_STARTED, th.state, index=i)
        rt.ready(ex, child)
        running += 1
    if not left.pending_items and left.items:
        left.items = []  # all started: the items leave the parent's stored data (written once more)
        ex.touch(th)


def join(rt: Runtime, ex: Execution, th: Thread, state: dict) -> bool:
    """Every child is back: …StateSucceeded and leave with the results in order (False: not yet)."""
    fan = _fan(th)
    if fan.done < fan.total:
        return False
    results: Any = fan.results
    if state["Type"] == StateType.MAP and distributed.is_distributed(state):
        rt.event(ex, HistoryEventType.MAP_RUN_SUCCEEDED, th.state, mapRunArn=map_run_arn(ex, th, state))
    if state["Type"] == StateType.MAP and isinstance(state.get("ResultWriter"), dict):
        writer = state["ResultWriter"]
        view = rt.view(ex, th, state)
        params = view.fill(writer.get("Arguments"), "ResultWriter/Arguments") if view.jsonata else \
            dataflow.apply_template(writer.get("Parameters"), th.input, view.context, view.variables)
        try:
            results = distributed.write_results(rt.resources, writer, params, results, map_run_arn(ex, th, state),
                                                _context_of(rt, ex, th))
        except StatesError as err:
            drop_children(ex, th)
            th.fanout = None
            rt.event(ex, HistoryEventType.MAP_STATE_FAILED, th.state, error=err.error, cause=err.cause)
            rt.state_error(ex, th, state, err.error, err.cause)
            return True
    rt.event(ex, HistoryEventType.of_state(state["Type"], "Succeeded"), th.state)
    drop_children(ex, th)
    th.fanout = None  # its results are the state's result now
    rt.exit(ex, th, state, results)
    return True


def child_finished(rt: Runtime, ex: Execution, child: Thread, ok: bool, output: Any, error: str = "",
                   cause: str = "") -> None:
    """A branch or iteration ended: record it, and fail the parent or start the next item if need be."""
    assert child.parent is not None
    parent = ex.threads[child.parent]
    if not parent.active or parent.phase != Phase.JOIN:
        return
    state = rt.state_of(ex, parent)
    fan = _fan(parent)
    fan.done += 1
    # folded: the parent holds what the child came back with and the child leaves the live threads; its
    # row, in its final form, keeps that result until the parent joins (the parent's row is not rewritten)
    ex.fold(child)
    is_map = state["Type"] == StateType.MAP
    if is_map:
        rt.event(ex, HistoryEventType.MAP_ITERATION_SUCCEEDED if ok else HistoryEventType.MAP_ITERATION_FAILED,
                 parent.state, index=child.slot, **({} if ok else {"error": error, "cause": cause}))
    if ok:
        fan.results[child.slot] = output
    elif not is_map:
        abort_children(rt, ex, parent)
        rt.event(ex, HistoryEventType.PARALLEL_STATE_FAILED, parent.state, error=error, cause=cause)
        _fail_parent(rt, ex, parent, state, error or BRANCH_FAILED, cause)
        return
    else:
        fan.failures += 1
        fan.results[child.slot] = {"Error": error, "Cause": cause}
        try:
            count, pct = _tolerance(rt, ex, parent, state)
        except StatesError as bad:
            abort_children(rt, ex, parent)
            _fail_parent(rt, ex, parent, state, bad.error, bad.cause)
            return
        tolerated = count is not None or pct is not None
        over = (not tolerated) or (count is not None and fan.failures > count) or \
               (pct is not None and fan.failures * 100.0 / max(fan.total, 1) > pct)
        if over:
            abort_children(rt, ex, parent)
            err = TOLERATED if tolerated else error
            why = f"{fan.failures} of {fan.total} items failed" if tolerated else cause
            if distributed.is_distributed(state):
                rt.event(ex, HistoryEventType.MAP_RUN_FAILED, parent.state, mapRunArn=map_run_arn(ex, parent, state))
            rt.event(ex, HistoryEventType.MAP_STATE_FAILED, parent.state, error=err, cause=why)
            _fail_parent(rt, ex, parent, state, err, why)
            return
    if is_map:
        spawn_items(rt, ex, parent, state)
    if fan.done >= fan.total:
        rt.ready(ex, parent)  # all back: it joins (before that its step would only find it still waiting)


def _fail_parent(rt: Runtime, ex: Execution, th: Thread, state: dict, error: str, cause: str) -> None:
    """The Parallel/Map failed: its children go, its Retry/Catch take the error, and it steps on if still active."""
    drop_children(ex, th)
    th.fanout = None  # a retry fans out afresh
    rt.state_error(ex, th, state, error, cause)
    if th.active:
        rt.ready(ex, th)


def abort_children(rt: Runtime, ex: Execution, th: Thread) -> None:
    state = rt.state_of(ex, th)
    for cid in th.fanout.children if th.fanout is not None else []:
        child = ex.threads.get(cid)
        if child and child.active:
            abort_thread(rt, ex, child)
            if state["Type"] == StateType.MAP:
                rt.event(ex, HistoryEventType.MAP_ITERATION_ABORTED, th.state, index=child.slot)


def abort_thread(rt: Runtime, ex: Execution, th: Thread) -> None:
    """ABORTED, its token closed, and the same for its own children if it is joining some."""
    th.status = ThreadStatus.ABORTED
    ex.touch(th)
    if th.token:
        rt.tables.set_token(th.token, TokenStatus.CLOSED)
    if th.phase == Phase.JOIN and th.fanout is not None:
        for cid in th.fanout.children:
            child = ex.threads.get(cid)
            if child and child.active:
                abort_thread(rt, ex, child)


def drop_children(ex: Execution, th: Thread) -> None:
    """The parent is done with its children (joined, or failed): any still here leave, theirs with them."""
    if th.fanout is None:
        return
    for cid in th.fanout.children:
        child = ex.drop(cid)  # a live child, or a finished one whose row kept its result
        if child is not None:
            drop_children(ex, child)
    th.fanout.children = []
