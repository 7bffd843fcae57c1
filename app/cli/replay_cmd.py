"""`workflow-canvas replay …`: drive the replay engine with Temporal CLI habits.

start / worker / signal / query / cancel / show / list, all on one SQLite file (`--db`). A worker
is its own OS process: kill it, start another, and the run continues from its history.
`show --format temporal` prints a history as Temporal's JSON (`temporal workflow show --output
json`); `replay FILE` replays a history file (this engine's `show --json`, or a real Temporal
server's JSON with `--format temporal`) against the engine's workflow code, as temporalio's
`Replayer` does, writing nothing.
"""

from __future__ import annotations

import argparse
import sys

from app.cli.args import bounded_float, bounded_int, word
from app.cli.common import CliError, add_db_option, db_path, parse_json_arg, print_json

DB_NAME = "replay"
#: how long a command waits for another process's lock on the database (the store's default)
LOCK_TIMEOUT = 10.0


def _add_lock_timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lock-timeout", type=bounded_float(0, 600, unit="s"), default=LOCK_TIMEOUT, metavar="SECONDS",
                   help=f"wait at most this long for another process's lock on the database (default {LOCK_TIMEOUT:g})")


def register(subparsers) -> None:
    replay = subparsers.add_parser("replay", help="drive the replay engine (Temporal style): start, worker, signal, query, show",
                                   description="Durable execution with an event history and deterministic replay.")
    sub = replay.add_subparsers(dest="replay_command", metavar="COMMAND", required=True)

    p = sub.add_parser("start", help="start a workflow execution (the first task waits for a worker)")
    p.add_argument("name", metavar="NAME", help="workflow type: order, order-coinflip, order-split, ShipmentWorkflow, ticker")
    p.add_argument("--id", required=True, type=word, help="workflow id, e.g. order-1001")
    p.add_argument("--input", metavar="JSON", help="input: a JSON list of arguments, or one JSON value (default for order: ORDER #1001)")
    p.add_argument("--task-queue", default="default")
    add_db_option(p, DB_NAME)
    _add_lock_timeout(p)
    p.set_defaults(handler=_start)

    p = sub.add_parser("worker", help="run a worker process that polls the task queues")
    p.add_argument("--skip-time", action="store_true", help="jump the virtual clock to the next timer when nothing is runnable")
    p.add_argument("--until-idle", action="store_true", help="exit when nothing is left to do")
    p.add_argument("--crash-after-effect", metavar="ACTIVITY",
                   help="exit abruptly after ACTIVITY reached its service and before its result is recorded (the crash window)")
    p.add_argument("--no-idempotency-keys", action="store_true", help="activities get no idempotency key (scene 6.5)")
    p.add_argument("--task-queue", default="default")
    p.add_argument("--max-tasks", type=bounded_int(1, 10_000_000), default=None, help="stop after this many tasks")
    p.add_argument("--pause-at", metavar="POINT", help=argparse.SUPPRESS)  # for crash tests: print and hang at a point
    p.add_argument("--quiet", action="store_true", help="do not print the trace")
    add_db_option(p, DB_NAME)
    _add_lock_timeout(p)
    p.set_defaults(handler=_worker)

    p = sub.add_parser("signal", help="send a signal (recorded in the history, wakes the workflow)")
    p.add_argument("id", metavar="ID")
    p.add_argument("signal_name", metavar="NAME")
    p.add_argument("--payload", metavar="JSON")
    add_db_option(p, DB_NAME)
    p.set_defaults(handler=_signal)

    p = sub.add_parser("query", help="ask a query (answered by replay; appends no event)")
    p.add_argument("id", metavar="ID")
    p.add_argument("query_name", metavar="NAME")
    p.add_argument("--args", metavar="JSON", help="a JSON list of query arguments")
    add_db_option(p, DB_NAME)
    p.set_defaults(handler=_query)

    p = sub.add_parser("cancel", help="request cancellation (the code can catch it and compensate)")
    p.add_argument("id", metavar="ID")
    add_db_option(p, DB_NAME)
    p.set_defaults(handler=_cancel)

    p = sub.add_parser("show", help="status, result or error, and the event history")
    p.add_argument("id", metavar="ID")
    p.add_argument("--run", metavar="RUN_ID", help="an earlier run (continue-as-new makes several)")
    p.add_argument("--json", action="store_true", help="this engine's JSON (status, result and history)")
    p.add_argument("--format", choices=("text", "json", "temporal"), default=None,
                   help="text (default), json (as --json), or temporal: the history as Temporal's JSON, as "
                        "`temporal workflow show --output json` prints it (loadable by temporalio's WorkflowHistory.from_json)")
    add_db_option(p, DB_NAME)
    p.set_defaults(handler=_show)

    p = sub.add_parser("replay", help="replay a history file against the engine's workflow code (writes nothing)",
                       description="Replays a recorded history against this engine's workflow code, as temporalio's "
                                   "Replayer does: any divergence is a nondeterminism error naming the event.")
    p.add_argument("file", metavar="FILE", help="a history: `replay show --json` output, or Temporal's JSON")
    p.add_argument("--format", choices=("json", "temporal"), default="json",
                   help="json: this engine's `show --json`; temporal: Temporal's history JSON "
                        "(`temporal workflow show --output json`, `replay show --format temporal`)")
    p.add_argument("--version", choices=("v1", "v2"), default="v1",
                   help="the order workflow's code to replay with: v1, or v2 (with the fraud-check version gate)")
    p.set_defaults(handler=_replay_file)

    p = sub.add_parser("list", help="every workflow execution in the database")
    p.add_argument("--json", action="store_true")
    add_db_option(p, DB_NAME)
    p.set_defaults(handler=_list)


def _client(args, trace=None):
    from engines.clock import EPOCH, VirtualClock
    from engines.replay import Client, Server
    from engines.store import open_store
    from workloads.order_1001.replay import WORKFLOWS

    path = db_path(args, DB_NAME)
    # a lock held by another process: a one-line DatabaseLockedError after this bounded wait
    store = open_store(path, timeout=getattr(args, "lock_timeout", LOCK_TIMEOUT))
    server = Server(store, VirtualClock(EPOCH), trace=trace)
    return Client(server, WORKFLOWS)


def _existing(args) -> None:
    path = db_path(args, DB_NAME)
    if not path.exists():
        raise CliError(f"{path}: no such database (start a workflow first, or pass --db)")


def _start(args) -> int:
    from workloads.order_1001.order import ORDER
    from workloads.order_1001.replay import WORKFLOWS
    from engines.replay.context import workflow_name

    names = [workflow_name(w) for w in WORKFLOWS]
    if args.name not in names:
        raise CliError(f"unknown workflow {args.name!r}; registered: {', '.join(names)}")
    value = parse_json_arg(args.input, "--input")
    if args.input is None:
        inputs = [ORDER] if args.name == "order" else []
    else:
        inputs = value if isinstance(value, list) else [value]
    client = _client(args)
    handle = client.start(args.name, *inputs, id=args.id, task_queue=args.task_queue)
    print(f"started {args.name} {args.id} run {handle.run_id} at {client.server.now():%Y-%m-%d %H:%M:%S} (virtual); "
          f"its first workflow task waits for a worker")
    return 0


def _worker(args) -> int:
    from engines.clock import WallClock
    from engines.replay import Worker
    from engines.trace import TraceRecorder
    from workloads.order_1001.replay import WORKFLOWS, OrderActivities
    from workloads.services import Services

    def show(event) -> None:
        if not args.quiet:
            print(f"{event.time:%Y-%m-%d %H:%M:%S}  {event.kind:<34} {event.subject:<16} {event.detail}", flush=True)

    def pause(point: str) -> None:
        if args.pause_at and point == args.pause_at:
            print(f"PAUSED {point}", flush=True)
            while True:
                WallClock().sleep(3600)

    # A worker may serve orders for days: it prints its trace as it goes and keeps none of it.
    client = _client(args, TraceRecorder("replay", show, keep=0))
    services = Services(client.server.store, client.server.clock)
    worker = Worker(client.server, task_queue=args.task_queue, workflows=WORKFLOWS, activities=OrderActivities(services).all(),
                    skip_time=args.skip_time, idempotency_keys=not args.no_idempotency_keys,
                    crash_after_effect=args.crash_after_effect, crash_mode="exit", on_point=pause if args.pause_at else None)
    try:
        stats = worker.run(until_idle=args.until_idle, max_tasks=args.max_tasks)
    finally:
        worker.stop()
    print(f"worker idle: {stats.workflow_tasks} workflow tasks, {stats.activity_tasks} activity tasks, "
          f"{stats.replayed_events} events replayed, {stats.time_skips} time skips", file=sys.stderr)
    return 0


def _signal(args) -> int:
    _existing(args)
    event_id = _client(args).signal(args.id, args.signal_name, parse_json_arg(args.payload, "--payload"))
    if event_id is None:
        print(f"signal {args.signal_name} buffered: a worker holds {args.id}'s workflow task; it is recorded after that "
              "task completes")
    else:
        print(f"signal {args.signal_name} recorded as event {event_id} of {args.id}")
    return 0


def _query(args) -> int:
    _existing(args)
    extra = parse_json_arg(args.args, "--args") or []
    if not isinstance(extra, list):
        raise CliError("--args: expected a JSON list")
    print_json(_client(args).query(args.id, args.query_name, *extra))
    return 0


def _cancel(args) -> int:
    _existing(args)
    _client(args).cancel(args.id)
    print(f"cancellation of {args.id} requested; a worker delivers it to the code")
    return 0


def _show(args) -> int:
    _existing(args)
    client = _client(args)
    d = client.describe(args.id, args.run)
    history = client.history(args.id, d.run_id)
    if args.format == "temporal":
        from engines.replay.temporal_history import to_temporal_json

        print_json(to_temporal_json(history, workflow_id=d.workflow_id, run_id=d.run_id))
        return 0
    if args.json or args.format == "json":
        print_json({**d.to_json(), "history": [e.to_dict() for e in history]})
        return 0
    print(f"{d.workflow_id}  ({d.workflow_type})  run {d.run_id}")
    print(f"status: {d.status}")
    if d.result is not None:
        print(f"result: {d.result}")
    if d.failure:
        print(f"error:  {d.failure.get('type')}: {d.failure.get('message')}")
    if d.stuck:
        print(f"stuck:  {d.stuck}")
    print(f"history: {len(history)} events")
    for e in history:
        print(f"{e.event_id:>4}  {e.time:%Y-%m-%d %H:%M:%S}  {e.event_type:<38} {e.describe()}")
    return 0


def _replay_file(args) -> int:
    import json

    from engines.inputs import read_user_text
    from engines.replay import HistoryEvent
    from engines.replay.history import EventType
    from engines.replay.replayer import Replayer
    from engines.replay.temporal_history import from_temporal_json
    from workloads.order_1001.replay import WORKFLOWS, order_workflow_v2

    text = read_user_text(args.file, "history file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.file}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if args.format == "temporal":
        history = from_temporal_json(data, args.file)
        events, workflow_id, run_id = history.events, history.workflow_id, history.run_id
    else:
        events, workflow_id, run_id = _native_events(data, args.file, HistoryEvent, EventType)
    from workloads.expense_approval.replay import expense_workflow
    from workloads.nightly_etl.replay import etl_workflow

    workflows = [order_workflow_v2 if w.__name__ == "order_workflow" and args.version == "v2" else w for w in WORKFLOWS]
    workflows += [expense_workflow, etl_workflow]  # every bundled workflow type a Temporal history may name
    result = Replayer(workflows).replay_workflow(events, workflow_id=workflow_id, run_id=run_id)
    print(f"{args.file}: {result.workflow_type} {result.workflow_id} replayed: {result.events} events, "
          f"{result.matched_commands} recorded commands re-issued by the code, no nondeterminism"
          + ("" if result.closed else " (the run is still open)"))
    return 0


def _native_events(data, source: str, event_cls, event_type_cls):
    """The events of `replay show --json` output (id, time, type, attributes per event)."""
    from datetime import datetime

    rows = data.get("history") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise CliError(f"{source}: expected `replay show --json` output with a non-empty \"history\" list "
                       "(a Temporal history needs --format temporal)")
    events = []
    for i, row in enumerate(rows):
        try:
            events.append(event_cls(int(row["id"]), datetime.fromisoformat(row["time"]).timestamp(),
                                    event_type_cls(row["type"]), dict(row["attributes"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise CliError(f"{source}: history[{i}]: not an event (id, time, type, attributes): {exc}") from None
    return events, str(data.get("workflow_id", "")), str(data.get("run_id", ""))


def _list(args) -> int:
    _existing(args)
    runs = _client(args).list()
    if args.json:
        print_json([r.to_json() for r in runs])
        return 0
    for r in runs:
        print(f"{r.workflow_id:<24} {r.workflow_type:<18} {r.status:<15} {r.history_length:>5} events  run {r.run_id[:8]}"
              + ("  STUCK" if r.stuck else ""))
    return 0
