"""The exported state machine on Step Functions: moto's interpreter in-process, or an endpoint.

`run()` exports the workload into the work directory, prepares the run's world (a SQLite file:
seeded rows, injected faults), then plays the scenario with the export's own deploy.py and sfn.py
(CreateFunction, CreateStateMachine, StartExecution, SendTaskSuccess/Failure, StopExecution,
UpdateStateMachine) through boto3:

- on moto (the default): `mock_aws()` in this process; Lambda invocations run the exported
  handlers.py (`lambdas.routed_to`), and the interpreter waits on virtual time
  (`virtual_time.on_virtual_time`), so the 30-day cancel window takes milliseconds. The driver
  below is the only thing that moves that clock: when every RUNNING execution is idle (waiting for
  a task token, in a Retry back-off or a Wait), it jumps to the next deadline or scheduled action.
- on an endpoint (`endpoint_url=`): the same calls go to that Step Functions, on its own real
  clock; the Lambda functions deploy.py creates there must be able to run handlers.py (see the
  export's README), and scenarios whose outcome needs days to pass (a 30-day or 3-day timeout) take
  those days: the run is bounded by `timeout_s` and says so when it gives up.
"""

from __future__ import annotations

import importlib
import json
import math
import shutil
import sys
from collections import Counter
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from engines.clock import EPOCH
from engines.store import open_store
from workloads.eject.real import (
    RealEngineUnavailable,
    RealRun,
    RealRunError,
    RealSystem,
)
from workloads.eject.stepfunctions.scenarios import PLANS, Plan, Stage, thumbnail_fan_out
from workloads.services import Services

#: The exported modules a run imports from the export directory, by their own names.
EXPORTED_MODULES = ("canvas_services", "handlers", "sfn", "deploy")
#: moto's default account and the region the exports are written for.
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
#: The driver's longest nap while the executions are busy, and how often it asks DescribeExecution
#: regardless (real seconds).
POLL_S = 0.005
RECHECK_S = 0.05


def _require_moto() -> str:
    import importlib.util

    missing = [name for name in ("boto3", "moto", "antlr4") if importlib.util.find_spec(name) is None]
    if missing:
        raise RealEngineUnavailable(f"Step Functions on moto needs moto[stepfunctions] and boto3 ({', '.join(missing)} "
                                    "not installed): pip install -e \".[real]\" or pip install \"moto[stepfunctions]>=5.2\"")
    import moto

    return f"moto {moto.__version__} (in-process mock_aws, Step Functions interpreter)"


def run(workload: str, scenario: str, *, work_dir: Path, day: float | None = None, plain_stop: bool = False,
        endpoint_url: str | None = None, timeout_s: float | None = None, uploads: int | None = None) -> RealRun:
    """Play `scenario` of the exported `workload` on Step Functions and read back what it did.

    `day`: the day of the scenario's action (cancel, answer, deploy-v2, crash), as the mini-engine
    takes it. `plain_stop`: ORDER #1001's cancel as StopExecution. `endpoint_url`: a Step Functions
    endpoint instead of moto in-process (its Lambda functions must be able to run handlers.py).
    `timeout_s`: the run's bound in real seconds (default: 60, plus 1 for each further execution
    the run starts, e.g. a batch's uploads). `uploads`: thumbnail-fan-out's batch-1000 with
    only its first N uploads (one execution each; the export itself starts all 1,000). The export and the run's world (world.sqlite)
    are kept under work_dir/stepfunctions/WORKLOAD/SCENARIO.
    """
    from workloads.eject.stepfunctions.export import export
    from workloads.runner import scenarios

    if workload not in PLANS:
        raise RealRunError(f"{workload} is not exported to Step Functions; exported: {', '.join(PLANS)}")
    if scenario not in scenarios(workload):
        raise RealRunError(f"{workload} has no scenario {scenario!r}; choose one of: {', '.join(scenarios(workload))}")
    engine_version = _require_moto() if endpoint_url is None else f"Step Functions at {endpoint_url}"
    if uploads is not None and workload != "thumbnail-fan-out":
        raise RealRunError(f"uploads={uploads}: only thumbnail-fan-out's batch takes a number of uploads")
    plan = PLANS[workload](scenario, day, plain_stop) if uploads is None else \
        thumbnail_fan_out(scenario, day, plain_stop, uploads)
    bound = timeout_s if timeout_s is not None else 60.0 + len(plan.also_start)
    run_dir = _fresh(Path(work_dir) / "stepfunctions" / workload / scenario)
    export(workload, run_dir / "export")
    db = str(run_dir / "world.sqlite")
    plan.prepare(db)
    with _exported_modules(run_dir / "export", db) as modules:
        if endpoint_url is None:
            real = _on_moto(workload, scenario, plan, modules, db, bound)
        else:
            real = _on_endpoint(workload, scenario, plan, modules, db, endpoint_url, bound)
    real.engine_version = engine_version
    store = open_store(db)
    try:
        real.ledger = Services(store).ledger().counts(plan.ledger_key)
    finally:
        store.close()
    return real


def _on_moto(workload: str, scenario: str, plan: Plan, modules: dict[str, ModuleType], db: str,
             timeout_s: float) -> RealRun:
    import logging

    from moto import mock_aws

    from workloads.eject.stepfunctions.lambdas import routed_to
    from workloads.eject.stepfunctions.moto_gaps import states_integration_cased
    from workloads.eject.stepfunctions.virtual_time import VirtualTime, on_virtual_time

    clock = VirtualTime(EPOCH)
    handlers = modules["handlers"]
    if hasattr(handlers, "clock"):
        vars(handlers)["clock"] = clock.now
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # moto logs every caught ASL error at ERROR
    config: Any = MOTO_CONFIG
    with mock_aws(config=config), on_virtual_time(clock), routed_to(modules), states_integration_cased():
        c = modules["sfn"].clients(region="us-east-1")
        arn = modules["sfn"].deploy(c, db=db, environment=plan.environment)
        stage = Stage(c, modules, arn, [], [], clock.now)
        stage.executions.append(modules["sfn"].start(c, arn, plan.execution_name, plan.payload))
        stage.executions += [modules["sfn"].start(c, arn, name, payload) for name, payload in plan.also_start]
        _drive(stage, clock, plan, timeout_s)
        return _read(stage, workload, scenario, plan.successors)


def _drive(stage: Stage, clock: Any, plan: Plan, timeout_s: float) -> None:
    """Move virtual time until every execution has ended and every action has been played."""
    actions = sorted(plan.actions, key=lambda a: a.at_s)
    deadline = time.monotonic() + timeout_s
    ended: set[str] = set()
    while True:
        running = _await_idle(stage, clock, deadline, ended, plan.successors)
        if running == 0:
            actions = [a for a in actions if a.every_s is None]  # a sweep ends with the executions
            if not actions:
                return
        due = clock.next_deadline() if running else math.inf
        if actions and actions[0].at_s <= due:
            action = actions.pop(0)
            clock.advance_to(action.at_s)
            action.do(stage)
            if action.every_s is not None:
                actions.append(replace(action, at_s=action.at_s + action.every_s))
                actions.sort(key=lambda a: a.at_s)
        elif due < math.inf:
            clock.advance_to(due)
        else:
            raise RealRunError(f"{len(stage.executions)} execution(s) wait with no deadline and nothing left to "
                               "answer them: the scenario cannot end")


def _await_idle(stage: Stage, clock: Any, deadline: float, ended: set[str], chained: bool = False) -> int:
    """Wait (real time, bounded) until every RUNNING execution is idle on the virtual clock;
    returns how many are RUNNING (`ended` keeps those seen ending, across calls).
    DescribeExecution is asked only when the idle waits could account for every execution not
    yet seen ending, or every RECHECK_S (an execution's end registers no wait). With `chained`
    (the state machine starts executions itself) ListExecutions is asked when one has just
    ended or more waits are idle than the known executions could hold: a successor is there."""
    sfn = stage.clients["stepfunctions"]
    last = -math.inf
    while True:
        live = [arn for arn in stage.executions if arn not in ended]
        if clock.idle_count() >= len(live) or time.monotonic() - last > RECHECK_S:
            last = time.monotonic()
            now_ended = {arn for arn in live if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING"}
            ended |= now_ended
            running = len(stage.executions) - len(ended)
            if chained and (now_ended or clock.idle_count() > running) and _successors(stage):
                continue
            if running == 0 or clock.idle_count() >= running:
                return running
        if time.monotonic() > deadline:
            raise RealRunError("the executions were still busy when the run's bound (real time) ran out: "
                               "moto's interpreter did not reach a wait")
        clock.settle(POLL_S)


def _successors(stage: Stage) -> list[str]:
    """Executions of the state machine that the run did not start (a states:startExecution
    task's), added to the stage in the order they started; returns the new ones. Listed after
    the DescribeExecution pass, so a parent seen ended has its successor listed."""
    sfn = stage.clients["stepfunctions"]
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=stage.state_machine_arn)
    listed = sorted((e for page in pages for e in page["executions"]), key=lambda e: e["startDate"])
    new = [e["executionArn"] for e in listed if e["executionArn"] not in stage.executions]
    stage.executions.extend(new)
    return new


def _on_endpoint(workload: str, scenario: str, plan: Plan, modules: dict[str, ModuleType], db: str,
                 endpoint_url: str, timeout_s: float) -> RealRun:
    """The same deploy and scenario on a real endpoint, on its clock: actions are played in
    order as soon as the execution waits for them (their days cannot be waited out here)."""
    sfn_module = modules["sfn"]
    c = sfn_module.clients(endpoint_url=endpoint_url)
    arn = sfn_module.deploy(c, db=db, environment=plan.environment)
    stage = Stage(c, modules, arn, [], [], lambda: datetime.now(UTC))
    stage.executions.append(sfn_module.start(c, arn, plan.execution_name, plan.payload))
    deadline = time.monotonic() + timeout_s
    for action in sorted(plan.actions, key=lambda a: a.at_s):
        time.sleep(1.0)  # let the execution reach its callback task
        action.do(stage)
        stage.notes.append(f"{action.name} was played {action.at_s / 86400:g} virtual day(s) in, at once: "
                           "a real endpoint keeps real time")
    for arn in stage.executions:
        d = sfn_module.wait(c, arn, max(1.0, deadline - time.monotonic()))
        if d["status"] == "RUNNING":
            raise RealRunError(f"{arn} was still RUNNING after {timeout_s:g} s at {endpoint_url}: an endpoint keeps "
                               "real time, so a scenario that waits out a TimeoutSeconds of days cannot end within "
                               "the bound (or the endpoint does not run its executions' Lambda functions)")
    return _read(stage, workload, scenario)


@dataclass
class StepFunctionsRun(RealRun):
    """A RealRun with every execution the scenario made, in the order they started (a chain of
    successors, a few uploads; a batch of more than six has none here, only its one note)."""

    executions: list[ExecutionRead] = field(default_factory=list)


@dataclass(frozen=True)
class ExecutionRead:
    """One execution as DescribeExecution and GetExecutionHistory give it back."""

    name: str
    status: str
    steps: list[str]
    history: list[dict[str, Any]]


def _read(stage: Stage, workload: str, scenario: str, read_last: bool = False) -> StepFunctionsRun:
    """DescribeExecution and GetExecutionHistory of the scenario's execution (the first, or with
    `read_last` the last of the chain), and every execution's status and history when they are
    few (a batch gets one line)."""
    sfn = stage.clients["stepfunctions"]
    sfn_module = stage.modules["sfn"]
    arn = stage.executions[-1 if read_last else 0]
    d = sfn.describe_execution(executionArn=arn)
    events = _json(sfn_module.history(stage.clients, arn))
    output = json.loads(d["output"]) if d.get("output") is not None else None
    notes = list(stage.notes)
    if d["status"] in ("FAILED", "TIMED_OUT", "ABORTED"):
        notes.append(f"the execution ended {d['status']}: {d.get('error', '')}: {d.get('cause', '')}")
    real = StepFunctionsRun(RealSystem.STEPFUNCTIONS, workload, scenario, d["status"], {}, [e["type"] for e in events],
                            history=events, output=output, notes=notes)
    others = [a for a in stage.executions if a != arn]
    if len(others) > 5:  # a batch: one line for the lot
        statuses = Counter(sfn.describe_execution(executionArn=a)["status"] for a in others)
        notes.append(f"{len(others):,} further executions, one per upload: "
                     + ", ".join(f"{n:,} {status}" for status, n in sorted(statuses.items())))
        return real
    for other in stage.executions:
        o = sfn.describe_execution(executionArn=other)
        history = events if other == arn else _json(sfn_module.history(stage.clients, other))
        real.executions.append(ExecutionRead(o["name"], o["status"], [e["type"] for e in history], history))
        if other != arn:
            entered = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]
            notes.append(f"{o['name']}: {o['status']}, states: {' → '.join(entered)}" if len(entered) <= 12 else
                         f"{o['name']}: {o['status']}, {len(entered)} states entered, {len(history)} events")
    return real


def _json(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(json.loads(json.dumps(events, default=_iso)))


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in an execution history")


def _fresh(path: Path) -> Path:
    """The run's own directory, emptied of a previous run of the same scenario (only ours)."""
    if path.exists():
        if not (path / "export" / "resources.json").is_file():
            raise RealRunError(f"{path} exists and is not a previous Step Functions run: choose another --work-dir")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


@contextmanager
def _exported_modules(export_dir: Path, db: str) -> Iterator[dict[str, ModuleType]]:
    """Import the export's modules by their own names (as Lambda and `python deploy.py` do), with
    CANVAS_DB pointing at the run's world; everything is put back afterwards."""
    import os

    saved = {name: sys.modules.pop(name) for name in EXPORTED_MODULES if name in sys.modules}
    saved_db = os.environ.get("CANVAS_DB")
    os.environ["CANVAS_DB"] = db
    sys.path.insert(0, str(export_dir))
    try:
        modules = {name: importlib.import_module(name) for name in EXPORTED_MODULES}
        yield modules
    finally:
        sys.path.remove(str(export_dir))
        store = sys.modules.get("canvas_services")
        if store is not None and "store" in store.__dict__ and store.store.cache_info().currsize:
            store.store().close()
        for name in EXPORTED_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
        if saved_db is None:
            os.environ.pop("CANVAS_DB", None)
        else:
            os.environ["CANVAS_DB"] = saved_db
