"""The interpreter: walks an ASL definition on the shared clock, one checkpoint per transition.

An execution is a set of *threads* (the top-level run, each Parallel branch, each Map
iteration). A thread is plain JSON — which state it is in, its input, what it waits for and until
when — so the whole execution can be written to SQLite at every transition and picked up by a
new process. Nothing ever sleeps: Wait states, retry back-off, task timeouts, heartbeats and the
execution timeout are absolute due times armed on the clock; `.waitForTaskToken` tasks wait for
`send_task_success` / `send_task_failure`. `stop_execution` ends the run ABORTED without running
any Catch, as AWS does.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engines import jsonio
from engines.clock import EPOCH, Clock, VirtualClock, as_utc
from engines.statemachine import choice, dataflow, jsonata_mode
from engines.statemachine.errors import (
    BRANCH_FAILED, NO_CHOICE, RUNTIME, TIMEOUT, TOLERATED, ExecutionNotFound, StatemachineError, StatesError,
    TaskTokenError, error_matches,
)
from engines.statemachine.history import ExecutionStore, HistoryEvent
from engines.statemachine.resources import Deferred, Resources, TaskContext, error_of, parse_resource
from engines.statemachine.retry import retry_delay
from engines.statemachine.validate import load_definition
from engines.statemachine.words import describe
from engines.store import Store, open_store
from engines.trace import Severity, TraceRecorder

REGION, ACCOUNT = "us-east-1", "123456789012"
BLOCKED = ("wait", "retry", "callback", "pending", "join")


_ISO_LAST: list = [None, ""]


def iso(t: datetime) -> str:
    """AWS's timestamp form: 2026-01-01T00:00:00.000Z (the last one is remembered: time often stands still)."""
    if t == _ISO_LAST[0]:
        return _ISO_LAST[1]
    u = as_utc(t)
    text = u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"
    _ISO_LAST[0], _ISO_LAST[1] = t, text
    return text


def parse_iso(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def _scopes(definition: dict) -> dict[str, tuple[dict, str]]:
    """Every States block by key ('' = top; 'Par[0]', 'Map[map]' nested) with its query language."""
    out: dict[str, tuple[dict, str]] = {}

    def walk(block: dict, key: str, ql: str) -> None:
        ql = block.get("QueryLanguage", ql)
        out[key] = (block, ql)
        for name, st in block["States"].items():
            sql = st.get("QueryLanguage", ql)
            if st["Type"] == "Parallel":
                for i, br in enumerate(st["Branches"]):
                    walk(br, f"{key}/{name}[{i}]", sql)
            elif st["Type"] == "Map":
                walk(st.get("ItemProcessor") or st["Iterator"], f"{key}/{name}[map]", sql)

    walk(definition, "", definition.get("QueryLanguage", "JSONPath"))
    return out


@dataclass
class _Exec:
    """An execution loaded in this process (its snapshot is in the store)."""

    arn: str
    name: str
    machine: str
    version: int
    definition: dict
    status: str
    input: Any
    start: datetime
    threads: dict[str, dict]
    next_event: int = 1
    output: Any = None
    error: str | None = None
    cause: str | None = None
    stop: datetime | None = None
    seq: int = 0
    deadline: str | None = None
    events: list[tuple] = field(default_factory=list)
    scopes: dict = field(default_factory=dict)

    def snapshot(self) -> str:
        return jsonio.dumps({"threads": self.threads, "seq": self.seq, "deadline": self.deadline})


class Engine:
    """A local Step Functions: state machines, executions, task tokens, history.

    `Engine(db, clock, resources)` — several engines may open the same file one after another
    (a restarted process); call `resume()` on the new one to re-arm what the old one left.
    """

    def __init__(self, db: str | Path | Store = ":memory:", clock: Clock | None = None,
                 resources: Resources | None = None, *, listener=None, recorder: TraceRecorder | None = None) -> None:
        self.store = db if isinstance(db, Store) else open_store(db)
        self.tables = ExecutionStore(self.store)
        self.clock = clock or VirtualClock(EPOCH)
        self.resources = resources if resources is not None else Resources()
        self.recorder = recorder if recorder is not None else TraceRecorder("statemachine", listener)
        self._execs: dict[str, _Exec] = {}
        self._defs: dict[tuple[str, int], tuple[dict, dict]] = {}
        self._tokens: dict[str, tuple[str, str]] = {}
        self._armed: dict[tuple[str, str], tuple[str, Any]] = {}
        self._ready: deque[tuple[str, str]] = deque()
        self._draining = False
        self._invoking: set[tuple[str, str]] = set()
        self._rng = random.Random(0)

    # ---------------------------------------------------------------- state machines
    def create_state_machine(self, name: str, definition: dict | str | Path) -> int:
        """Validate and store a definition; returns its version (1, 2, … for each publish)."""
        data = load_definition(definition, name=name if isinstance(definition, dict) else None)
        return self.tables.add_version(name, data, iso(self.clock.now()))

    publish_version = create_state_machine  # a new version of the same name: running executions keep theirs

    def _definition(self, name: str, version: int) -> tuple[dict, dict]:
        key = (name, version)
        if key not in self._defs:
            data = self.tables.definition(name, version)
            if data is None:
                raise StatemachineError(f"state machine {name!r} version {version} does not exist")
            self._defs[key] = (data, _scopes(data))
        return self._defs[key]

    # ---------------------------------------------------------------- executions
    def start_execution(self, state_machine: str, input: Any = None, name: str | None = None,
                        version: int | None = None) -> str:
        """Start an execution of the latest (or a given) version; returns its ARN."""
        version = version or self.tables.latest_version(state_machine)
        if version is None:
            raise StatemachineError(f"state machine {state_machine!r} does not exist; create it first")
        definition, scopes = self._definition(state_machine, version)
        name = name or str(uuid.uuid4())
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{state_machine}:{name}"
        if self.tables.execution(arn) is not None:
            raise StatemachineError(f"an execution named {name!r} already exists for {state_machine!r}")
        now = self.clock.now()
        data = {} if input is None else input
        ex = _Exec(arn, name, state_machine, version, definition, "RUNNING", data, now, {}, scopes=scopes)
        if definition.get("TimeoutSeconds"):
            ex.deadline = iso(now + timedelta(seconds=definition["TimeoutSeconds"]))
        top = self._new_thread(ex, None, "", definition["StartAt"], data, {})
        self.tables.insert_execution({"arn": arn, "name": name, "state_machine": state_machine, "version": version,
                                      "status": "RUNNING", "input": jsonio.dumps(data), "start": iso(now),
                                      "runtime": ex.snapshot(), "next_event": 1})
        self._execs[arn] = ex
        self._event(ex, "ExecutionStarted", None, input=data, roleArn=f"arn:aws:iam::{ACCOUNT}:role/workflow-canvas",
                    stateMachineArn=machine_arn(state_machine), version=version)
        self._ready.append((arn, top["id"]))
        self._drain()
        return arn

    def resume(self) -> list[str]:
        """Load every RUNNING execution from the store and re-arm its timers (a restarted process)."""
        saved = self.tables.clock()
        if saved and isinstance(self.clock, VirtualClock):
            self.clock.set(parse_iso(saved))
        arns = []
        for row in self.tables.executions("RUNNING"):
            ex = self._load(row["arn"])
            arns.append(ex.arn)
            self._arm(ex)
            for tid, th in ex.threads.items():
                if th["status"] != "active":
                    continue
                if th["phase"] not in BLOCKED:
                    self._ready.append((ex.arn, tid))  # it was between two steps: redo that step
                elif th["phase"] == "callback" and th.get("token"):
                    self._tokens[th["token"]] = (ex.arn, tid)
                    tok = self.tables.token(th["token"])
                    if tok and tok["status"] == "answered":
                        self._ready.append((ex.arn, tid))
        self._drain()
        return arns

    def _load(self, arn: str) -> _Exec:
        if arn in self._execs:
            return self._execs[arn]
        row = self.tables.execution(arn)
        if row is None:
            raise ExecutionNotFound(f"no execution {arn!r}")
        definition, scopes = self._definition(row["state_machine"], row["version"])
        rt = jsonio.loads(row["runtime"])
        ex = _Exec(arn, row["name"], row["state_machine"], row["version"], definition, row["status"], jsonio.loads(row["input"]),
                   parse_iso(row["start"]), rt["threads"], row["next_event"], seq=rt["seq"], deadline=rt.get("deadline"),
                   scopes=scopes)
        self._execs[arn] = ex
        return ex

    def stop_execution(self, arn: str, error: str | None = None, cause: str | None = None) -> None:
        """ABORTED at once: no Catch runs, nothing is compensated, outstanding tokens die."""
        ex = self._load(arn)
        if ex.status != "RUNNING":
            raise StatemachineError(f"execution {ex.name!r} is already {ex.status}")
        self._finish(ex, "ABORTED", "ExecutionAborted", error=error, cause=cause)
        self._checkpoint(ex)

    def describe_execution(self, arn: str) -> dict:
        row = self.tables.execution(arn)
        if row is None:
            raise ExecutionNotFound(f"no execution {arn!r}")
        return {"executionArn": arn, "name": row["name"], "stateMachineArn": machine_arn(row["state_machine"]),
                "version": row["version"], "status": row["status"], "startDate": row["start"], "stopDate": row["stop"],
                "input": jsonio.loads(row["input"]), "output": None if row["output"] is None else jsonio.loads(row["output"]),
                "error": row["error"], "cause": row["cause"]}

    def get_execution_history(self, arn: str) -> list[HistoryEvent]:
        return self.tables.history(arn)

    def list_executions(self, status: str | None = None) -> list[dict]:
        return [{"executionArn": r["arn"], "name": r["name"], "status": r["status"], "version": r["version"]}
                for r in self.tables.executions(status)]

    def waiting_tokens(self, arn: str) -> list[str]:
        """Tokens of the callback tasks this execution is waiting on now."""
        ex = self._load(arn)
        return [th["token"] for th in ex.threads.values()
                if th["status"] == "active" and th["phase"] == "callback" and th.get("token")]

    # ---------------------------------------------------------------- callbacks
    def send_task_success(self, token: str, output: Any) -> None:
        self._answer(token, {"ok": True, "output": output})

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        self._answer(token, {"ok": False, "error": error or "", "cause": cause or ""})

    def send_task_heartbeat(self, token: str) -> None:
        """Resets the task's heartbeat clock (no history event, as in AWS)."""
        arn, tid = self._token_owner(token)
        ex = self._load(arn)
        th = ex.threads[tid]
        state = self._state(ex, th)
        hb = self._seconds(ex, th, state, "HeartbeatSeconds")
        if hb:
            th["hb_due"] = iso(self.clock.now() + timedelta(seconds=hb))
            th["due"] = min(x for x in (th.get("deadline"), th["hb_due"]) if x)
            self._checkpoint(ex)
            self._arm(ex)

    def _token_owner(self, token: str) -> tuple[str, str]:
        row = self.tables.token(token)
        if row is None:
            raise TaskTokenError(f"invalid task token {token[:12]}…: no task is waiting on it")
        if row["status"] != "waiting":
            raise TaskTokenError(f"task token {token[:12]}… is {'already answered' if row['status'] == 'answered' else 'closed (the task timed out or the execution ended)'}")
        return row["execution"], row["thread"]

    def _answer(self, token: str, answer: dict) -> None:
        arn, tid = self._token_owner(token)
        self.tables.set_token(token, "answered", answer)
        ex = self._load(arn)
        th = ex.threads.get(tid)
        if th is not None and th["status"] == "active" and th["phase"] == "callback" and (arn, tid) not in self._invoking:
            self._ready.append((arn, tid))
            self._drain()

    # ---------------------------------------------------------------- driving
    def run_until_idle(self, until: datetime | None = None) -> None:
        """On a virtual clock: jump timer to timer until nothing is due (or `until`)."""
        if isinstance(self.clock, VirtualClock):
            self.clock.run_until_idle(until)
        elif until is not None:
            self.clock.advance_to(until)

    def _drain(self) -> None:
        if self._draining:
            return
        self._draining = True
        touched: set[str] = set()
        try:
            while self._ready:
                arn, tid = self._ready.popleft()
                ex = self._execs.get(arn)
                if ex is None or ex.status != "RUNNING":
                    continue
                th = ex.threads.get(tid)
                if th is None or th["status"] != "active":
                    continue
                touched.add(arn)
                self._step(ex, th)
        finally:
            self._draining = False
        for arn in touched:
            ex = self._execs[arn]
            self._checkpoint(ex)
            self._arm(ex)

    def _arm(self, ex: _Exec) -> None:
        """Make sure a clock timer stands for every due time this execution waits on."""
        if ex.status != "RUNNING":
            return
        wanted = {(ex.arn, tid): th["due"] for tid, th in ex.threads.items()
                  if th["status"] == "active" and th["phase"] in BLOCKED and th.get("due")}
        if ex.deadline:
            wanted[(ex.arn, "")] = ex.deadline
        for key, due in wanted.items():
            armed = self._armed.get(key)
            if armed and armed[0] == due:
                continue
            if armed:
                armed[1].cancel()
            timer = self.clock.call_at(parse_iso(due), lambda now, k=key, d=due: self._fire(k, d), f"sfn {key[1] or 'timeout'}")
            self._armed[key] = (due, timer)

    def _fire(self, key: tuple[str, str], due: str) -> None:
        if self._armed.get(key, (None,))[0] == due:
            del self._armed[key]
        arn, tid = key
        ex = self._execs.get(arn)
        if ex is None or ex.status != "RUNNING":
            return
        if tid == "":
            self._finish(ex, "TIMED_OUT", "ExecutionTimedOut", error=TIMEOUT, cause="The execution ran longer than its TimeoutSeconds")
            self._checkpoint(ex)
            return
        th = ex.threads.get(tid)
        if th and th["status"] == "active" and th.get("due") == due:
            self._ready.append(key)
            self._drain()

    def _checkpoint(self, ex: _Exec) -> None:
        fields = {"status": ex.status, "runtime": ex.snapshot(), "next_event": ex.next_event}
        if ex.status != "RUNNING":
            fields.update(output=None if ex.output is None else jsonio.dumps(ex.output), error=ex.error, cause=ex.cause,
                          stop=iso(ex.stop) if ex.stop else None)
        events, ex.events = ex.events, []
        self.tables.checkpoint(ex.arn, fields, events, iso(self.clock.now()))

    # ---------------------------------------------------------------- events
    def _event(self, ex: _Exec, kind: str, state: str | None, **details: Any) -> None:
        eid = ex.next_event
        ex.next_event += 1
        now = self.clock.now()
        ex.events.append((ex.arn, eid, eid - 1, iso(now), kind, state, jsonio.dumps(details)))
        bad = kind.endswith(("Failed", "TimedOut", "Aborted"))
        self.recorder.emit(now, kind, state or ex.name, describe(kind, state, details),
                           Severity.WARNING if bad else Severity.INFO, execution=ex.name, event_id=eid, **details)

    # ---------------------------------------------------------------- threads
    def _new_thread(self, ex: _Exec, parent: dict | None, scope: str, state: str, data: Any, variables: dict,
                    slot: int = 0, item: dict | None = None) -> dict:
        ex.seq += 1
        tid = f"t{ex.seq}"
        th = {"id": tid, "parent": parent["id"] if parent else None, "slot": slot, "scope": scope, "state": state,
              "input": data, "phase": "enter", "status": "active", "due": None, "vars": dict(variables), "item": item}
        ex.threads[tid] = th
        return th

    def _state(self, ex: _Exec, th: dict) -> dict:
        return ex.scopes[th["scope"]][0]["States"][th["state"]]

    def _ql(self, ex: _Exec, th: dict, state: dict) -> str:
        return state.get("QueryLanguage", ex.scopes[th["scope"]][1])

    def _context(self, ex: _Exec, th: dict) -> dict:
        ctx = {"Execution": {"Id": ex.arn, "Input": ex.input, "Name": ex.name, "StartTime": iso(ex.start),
                             "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/workflow-canvas", "RedriveCount": 0},
               "State": {"EnteredTime": th.get("entered") or iso(self.clock.now()), "Name": th["state"],
                         "RetryCount": th.get("retry_count", 0)},
               "StateMachine": {"Id": machine_arn(ex.machine), "Name": ex.machine}}
        if th.get("token"):
            ctx["Task"] = {"Token": th["token"]}
        if th.get("item") is not None:
            ctx["Map"] = {"Item": th["item"]}
        return ctx

    def _states_var(self, ex: _Exec, th: dict, **extra: Any) -> dict:
        return {"input": th["input"], "context": self._context(ex, th), **extra}

    def _step(self, ex: _Exec, th: dict) -> None:
        """Run one thread until it blocks, ends, or hands over to children."""
        while th["status"] == "active" and ex.status == "RUNNING":
            state = self._state(ex, th)
            try:
                phase = th["phase"]
                if phase == "enter":
                    self._enter(ex, th, state)
                elif phase == "invoke":
                    self._invoke(ex, th, state)
                elif phase == "start":
                    self._start_fanout(ex, th, state)
                elif phase == "wait":
                    if self._due(th):
                        self._exit(ex, th, state, th["input"], result=None)
                    else:
                        return
                elif phase == "retry":
                    if not self._due(th):
                        return
                    th["phase"] = "start" if state["Type"] in ("Parallel", "Map") else "invoke"
                elif phase == "callback":
                    if not self._poll_callback(ex, th, state):
                        return
                elif phase == "pending":
                    if not self._due(th):
                        return
                    self._settle_pending(ex, th, state)
                elif phase == "join":
                    if not self._join(ex, th, state):
                        return
                else:
                    raise StatesError(RUNTIME, f"unknown phase {phase}")
            except StatesError as err:
                self._state_error(ex, th, state, err.error, err.cause)

    def _due(self, th: dict) -> bool:
        return th.get("due") is None or parse_iso(th["due"]) <= self.clock.now()

    # ---------------------------------------------------------------- entering a state
    def _enter(self, ex: _Exec, th: dict, state: dict) -> None:
        typ = state["Type"]
        th.update(entered=iso(self.clock.now()), attempts={}, retry_count=0, token=None, due=None)
        if typ == "Fail":
            self._event(ex, "FailStateEntered", th["state"], input=th["input"])
            jsonata = self._ql(ex, th, state) == "JSONata"
            error, cause = state.get("Error"), state.get("Cause")
            if jsonata:
                sv = self._states_var(ex, th)
                error, cause = jsonata_mode.fill(error, sv, th["vars"]), jsonata_mode.fill(cause, sv, th["vars"])
            else:
                ctx = self._context(ex, th)
                if "ErrorPath" in state:
                    error = dataflow.resolve(state["ErrorPath"], th["input"], ctx, th["vars"], "ErrorPath")
                if "CausePath" in state:
                    cause = dataflow.resolve(state["CausePath"], th["input"], ctx, th["vars"], "CausePath")
            self._thread_failed(ex, th, error or "", cause or "", from_fail_state=True)
            return
        if typ == "Wait":
            try:
                due, waited = self._wait_due(ex, th, state), None
                waited = (due - self.clock.now()).total_seconds()
            except StatesError:
                self._event(ex, "WaitStateEntered", th["state"], input=th["input"])
                raise
            # waitSeconds is trace data only (not in AWS's stateEnteredEventDetails)
            self._event(ex, "WaitStateEntered", th["state"], input=th["input"], wait_seconds=waited)
            th.update(phase="wait", due=iso(due), waited=waited)
            return
        self._event(ex, f"{typ}StateEntered", th["state"], input=th["input"])
        if typ == "Task":
            th["phase"] = "invoke"
        elif typ in ("Parallel", "Map"):
            th["phase"] = "start"
        elif typ == "Pass":
            self._pass(ex, th, state)
        elif typ == "Succeed":
            self._exit(ex, th, state, th["input"], result=None)
        elif typ == "Choice":
            self._choice(ex, th, state)

    def _pass(self, ex: _Exec, th: dict, state: dict) -> None:
        if self._ql(ex, th, state) == "JSONata":
            self._exit(ex, th, state, th["input"], result=th["input"])
            return
        ctx = self._context(ex, th)
        if "Result" in state:
            result = state["Result"]
        else:
            result = dataflow.effective_input(th["input"], state, ctx, th["vars"])
        self._exit(ex, th, state, th["input"], result=result)

    def _choice(self, ex: _Exec, th: dict, state: dict) -> None:
        jsonata = self._ql(ex, th, state) == "JSONata"
        ctx = self._context(ex, th)
        data = th["input"] if jsonata else dataflow.select_or_empty(th["input"], state, "InputPath", ctx, th["vars"])
        for rule in state["Choices"]:
            if jsonata:
                hit = jsonata_mode.evaluate(rule["Condition"], self._states_var(ex, th), th["vars"]) is True
            else:
                hit = choice.evaluate(rule, lambda p: dataflow.resolve(p, data, ctx, th["vars"], "Variable"))
            if hit:
                self._exit(ex, th, state, th["input"], result=None, next_state=rule["Next"], rule=rule)
                return
        if "Default" in state:
            self._exit(ex, th, state, th["input"], result=None, next_state=state["Default"])
            return
        raise StatesError(NO_CHOICE, f"No Choice Rules matched and no Default in state {th['state']!r}")

    def _wait_due(self, ex: _Exec, th: dict, state: dict) -> datetime:
        """When a Wait state ends: Seconds/SecondsPath from now, or Timestamp/TimestampPath (past → now)."""
        now = self.clock.now()
        jsonata = self._ql(ex, th, state) == "JSONata"
        ctx = self._context(ex, th)
        data = th["input"] if jsonata else dataflow.select_or_empty(th["input"], state, "InputPath", ctx, th["vars"])

        def value(field: str) -> Any:
            v = state[field]
            if field.endswith("Path"):
                return dataflow.resolve(v, data, ctx, th["vars"], field)
            return jsonata_mode.fill(v, self._states_var(ex, th), th["vars"]) if jsonata else v

        if "Seconds" in state or "SecondsPath" in state:
            secs = value("Seconds" if "Seconds" in state else "SecondsPath")
            if not isinstance(secs, (int, float)) or isinstance(secs, bool) or secs < 0:
                raise StatesError(RUNTIME, f"Wait {th['state']!r}: seconds must be a non-negative number, got {secs!r}")
            return now + timedelta(seconds=secs)
        ts = value("Timestamp" if "Timestamp" in state else "TimestampPath")
        t = choice.parse_timestamp(ts)
        if t is None:
            raise StatesError(RUNTIME, f"Wait {th['state']!r}: {ts!r} is not an RFC 3339 timestamp")
        return max(as_utc(t), now)

    # ---------------------------------------------------------------- leaving a state
    def _exit(self, ex: _Exec, th: dict, state: dict, raw: Any, result: Any, *, next_state: str | None = None,
              rule: dict | None = None) -> None:
        """Compute the state's output, apply Assign, emit …StateExited, move to the next state."""
        typ = state["Type"]
        jsonata = self._ql(ex, th, state) == "JSONata"
        ctx = self._context(ex, th)
        variables = th["vars"]
        assign = (rule or {}).get("Assign") if typ == "Choice" else state.get("Assign")
        if jsonata:
            sv = self._states_var(ex, th, **({"result": result} if typ in ("Task", "Parallel", "Map") else {}))
            out_tpl = (rule or {}).get("Output", state.get("Output")) if typ == "Choice" else state.get("Output")
            default = result if typ in ("Task", "Parallel", "Map") or (typ == "Pass" and "Output" in state) else raw
            output = jsonata_mode.fill(out_tpl, sv, variables) if out_tpl is not None else default
            if assign:
                new = {k: jsonata_mode.fill(v, sv, variables) for k, v in assign.items()}
                th["vars"] = {**variables, **new}
        else:
            if typ in ("Task", "Parallel", "Map", "Pass"):
                if typ != "Pass" and "ResultSelector" in state:
                    result = dataflow.apply_template(state["ResultSelector"], result, ctx, variables)
                if assign:
                    th["vars"] = {**variables, **dataflow.apply_template(assign, result, ctx, variables)}
                output = dataflow.state_output(raw, result, state, ctx, variables, selector=False)
            else:
                base = dataflow.select_or_empty(raw, state, "InputPath", ctx, variables)
                if assign:
                    th["vars"] = {**variables, **dataflow.apply_template(assign, base, ctx, variables)}
                output = dataflow.select_or_empty(base, state, "OutputPath", ctx, variables)
        self._event(ex, f"{typ}StateExited", th["state"], output=output)
        self._goto(ex, th, state, output, next_state)

    def _goto(self, ex: _Exec, th: dict, state: dict, output: Any, next_state: str | None) -> None:
        nxt = next_state or state.get("Next")
        if nxt is None or state.get("End") or state["Type"] == "Succeed":
            self._thread_done(ex, th, output)
            return
        th.update(state=nxt, input=output, phase="enter", due=None)
        self._checkpoint(ex)

    # ---------------------------------------------------------------- tasks
    def _seconds(self, ex: _Exec, th: dict, state: dict, field: str) -> float | None:
        if field + "Path" in state:
            v = dataflow.resolve(state[field + "Path"], th["input"], self._context(ex, th), th["vars"], field + "Path")
        else:
            v = state.get(field)
            if jsonata_mode.is_expression(v):
                v = jsonata_mode.evaluate(v, self._states_var(ex, th), th["vars"])
        if v is None:
            return None
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise StatesError(RUNTIME, f"{field} of {th['state']!r} must be a positive number, got {v!r}")
        return float(v)

    def _task_input(self, ex: _Exec, th: dict, state: dict) -> Any:
        if self._ql(ex, th, state) == "JSONata":
            args = state.get("Arguments")
            return th["input"] if args is None else jsonata_mode.fill(args, self._states_var(ex, th), th["vars"])
        return dataflow.effective_input(th["input"], state, self._context(ex, th), th["vars"])

    def _invoke(self, ex: _Exec, th: dict, state: dict) -> None:
        ref = parse_resource(state["Resource"], state.get("Parameters") or state.get("Arguments"))
        prefix = ref.history_prefix
        th["prefix"] = prefix
        if th.get("token"):
            self.tables.set_token(th["token"], "closed")  # a re-run after a crash: the old token is dead
        if ref.pattern == "callback":
            th["token"] = uuid.uuid4().hex + uuid.uuid4().hex
            self.tables.add_token(th["token"], ex.arn, th["id"])
            self._tokens[th["token"]] = (ex.arn, th["id"])
        payload = self._task_input(ex, th, state)
        if isinstance(payload, dict) and ref.kind == "lambda-invoke":
            ref = parse_resource(state["Resource"], payload)
        self._event(ex, f"{prefix}Scheduled", th["state"], resource=state["Resource"], input=payload)
        self._event(ex, f"{prefix}Started", th["state"])
        now = self.clock.now()
        timeout = self._seconds(ex, th, state, "TimeoutSeconds")
        heartbeat = self._seconds(ex, th, state, "HeartbeatSeconds")
        th["deadline"] = iso(now + timedelta(seconds=timeout)) if timeout else None
        th["hb_due"] = iso(now + timedelta(seconds=heartbeat)) if heartbeat and ref.pattern == "callback" else None
        self._checkpoint(ex)  # the task is scheduled: a crash from here re-runs it (at-least-once, as AWS)
        try:
            fn = self.resources.resolve(ref)
        except StatemachineError as exc:
            self._task_failed(ex, th, state, "States.Runtime" if ref.kind != "lambda" else "Lambda.ResourceNotFoundException",
                              str(exc))
            return
        call_input = payload.get("Payload", {}) if ref.kind == "lambda-invoke" and isinstance(payload, dict) else payload
        ctx = TaskContext(ex.name, th["state"], th.get("token"), th.get("retry_count", 0), now, ref, self)
        self._invoking.add((ex.arn, th["id"]))
        try:
            result = fn(call_input, ctx)
        except StatesError:
            raise
        except Exception as exc:  # the callable's failure is the task's failure, as Lambda reports it
            error, cause = error_of(exc, ref)
            self._task_failed(ex, th, state, error, cause)
            return
        finally:
            self._invoking.discard((ex.arn, th["id"]))
        if isinstance(result, Deferred):
            due = now + timedelta(seconds=result.seconds)
            th["pending"] = {"value": result.value, "error": result.error, "cause": result.cause}
            if th["deadline"] and parse_iso(th["deadline"]) < due:
                due, th["pending"] = parse_iso(th["deadline"]), None
            th.update(phase="pending", due=iso(due))
            return
        if ref.pattern == "callback":
            if prefix == "Task":
                self._event(ex, "TaskSubmitted", th["state"], output=result)
            due = [d for d in (th["deadline"], th["hb_due"]) if d]
            th.update(phase="callback", due=min(due) if due else None)
            return
        if ref.kind == "lambda-invoke":
            result = {"ExecutedVersion": "$LATEST", "Payload": result, "SdkHttpMetadata": {"HttpStatusCode": 200},
                      "SdkResponseMetadata": {}, "StatusCode": 200}
        self._task_succeeded(ex, th, state, result)

    def _poll_callback(self, ex: _Exec, th: dict, state: dict) -> bool:
        tok = self.tables.token(th["token"])
        if tok and tok["status"] == "answered":
            answer = jsonio.loads(tok["answer"])
            self.tables.set_token(th["token"], "closed", answer)
            self._tokens.pop(th["token"], None)
            if answer["ok"]:
                self._task_succeeded(ex, th, state, answer["output"])
            else:
                self._task_failed(ex, th, state, answer["error"], answer["cause"])
            return True
        if th.get("due") and self._due(th):
            self.tables.set_token(th["token"], "closed")
            self._tokens.pop(th["token"], None)
            hb = th.get("hb_due") and parse_iso(th["hb_due"]) <= self.clock.now()
            self._task_timed_out(ex, th, state, "heartbeat" if hb and not (th["deadline"] and th["deadline"] <= th["hb_due"]) else "timeout")
            return True
        return False

    def _settle_pending(self, ex: _Exec, th: dict, state: dict) -> None:
        pending = th.pop("pending", None)
        if pending is None:
            self._task_timed_out(ex, th, state, "timeout")
        elif pending["error"]:
            self._task_failed(ex, th, state, pending["error"], pending["cause"])
        else:
            self._task_succeeded(ex, th, state, pending["value"])

    def _task_succeeded(self, ex: _Exec, th: dict, state: dict, result: Any) -> None:
        self._event(ex, f"{th['prefix']}Succeeded", th["state"], output=result)
        th["token"] = None
        self._exit(ex, th, state, th["input"], result=result)

    def _task_failed(self, ex: _Exec, th: dict, state: dict, error: str, cause: str) -> None:
        self._event(ex, f"{th['prefix']}Failed", th["state"], error=error, cause=cause)
        th["token"] = None
        self._state_error(ex, th, state, error, cause)

    def _task_timed_out(self, ex: _Exec, th: dict, state: dict, why: str) -> None:
        cause = "The task did not send a heartbeat in time" if why == "heartbeat" else "The task ran longer than its TimeoutSeconds"
        # AWS reports a heartbeat expiry as States.Timeout too (recorded AWS history; see research/asl.md §1.7).
        self._event(ex, f"{th['prefix']}TimedOut", th["state"], error=TIMEOUT, cause=cause)
        th["token"] = None
        self._state_error(ex, th, state, TIMEOUT, cause)

    # ---------------------------------------------------------------- errors: Retry, Catch
    def _state_error(self, ex: _Exec, th: dict, state: dict, error: str, cause: str) -> None:
        """Retry if a retrier matches and has attempts left, else Catch, else fail the thread."""
        if th["status"] != "active":
            return
        for i, retrier in enumerate(state.get("Retry") or []):
            if error_matches(retrier["ErrorEquals"], error):
                used = th["attempts"].get(str(i), 0)
                if used < retrier.get("MaxAttempts", 3):
                    delay = retry_delay(retrier, used, self._rng)
                    th["attempts"][str(i)] = used + 1
                    th["retry_count"] = th.get("retry_count", 0) + 1
                    th.setdefault("retry_delays", []).append(delay)
                    th.update(phase="retry", due=iso(self.clock.now() + timedelta(seconds=delay)))
                    self.recorder.emit(self.clock.now(), "RetryScheduled", th["state"],
                                       f"{th['state']} failed with {error}; retry {used + 1} in {delay:g} s",
                                       Severity.WARNING, execution=ex.name, error=error, delay=delay, attempt=used + 1)
                    self._checkpoint(ex)
                    return
                break
        for catcher in state.get("Catch") or []:
            if error_matches(catcher["ErrorEquals"], error):
                err_obj = {"Error": error, "Cause": cause}
                if self._ql(ex, th, state) == "JSONata":
                    sv = self._states_var(ex, th, errorOutput=err_obj)
                    output = jsonata_mode.fill(catcher["Output"], sv, th["vars"]) if "Output" in catcher else err_obj
                    if catcher.get("Assign"):
                        th["vars"] = {**th["vars"], **jsonata_mode.fill(catcher["Assign"], sv, th["vars"])}
                else:
                    output = dataflow.catch_output(th["input"], err_obj, catcher)
                    if catcher.get("Assign"):
                        th["vars"] = {**th["vars"], **dataflow.apply_template(catcher["Assign"], err_obj, self._context(ex, th), th["vars"])}
                self._event(ex, f"{state['Type']}StateExited", th["state"], output=output, caught=error)
                self._goto(ex, th, {**state, "End": False}, output, catcher["Next"])
                return
        self._thread_failed(ex, th, error, cause)

    # ---------------------------------------------------------------- Parallel and Map
    def _start_fanout(self, ex: _Exec, th: dict, state: dict) -> None:
        typ = state["Type"]
        jsonata = self._ql(ex, th, state) == "JSONata"
        ctx = self._context(ex, th)
        th["children"], th["results"], th["failures"], th["done"] = [], [], 0, 0
        self._event(ex, f"{typ}StateStarted", th["state"])
        if typ == "Parallel":
            data = self._task_input(ex, th, state)
            th["results"] = [None] * len(state["Branches"])
            for i, _ in enumerate(state["Branches"]):
                child = self._new_thread(ex, th, f"{th['scope']}/{th['state']}[{i}]",
                                         state["Branches"][i]["StartAt"], data, th["vars"], slot=i)
                th["children"].append(child["id"])
                self._ready.append((ex.arn, child["id"]))
            th["total"] = len(state["Branches"])
        else:
            if jsonata:
                sv = self._states_var(ex, th)
                items = jsonata_mode.fill(state["Items"], sv, th["vars"]) if "Items" in state else th["input"]
            else:
                data = dataflow.select_or_empty(th["input"], state, "InputPath", ctx, th["vars"])
                items = dataflow.resolve(state.get("ItemsPath", "$"), data, ctx, th["vars"], "ItemsPath")
            if not isinstance(items, list):
                raise StatesError(RUNTIME, f"Map {th['state']!r}: the items must be an array, got {type(items).__name__}")
            th["total"] = len(items)
            th["results"] = [None] * len(items)
            th["pending_items"] = list(range(len(items)))
            th["items"] = items
            limit = state.get("MaxConcurrency") or 0
            th["limit"] = int(limit) if isinstance(limit, (int, float)) else 0
            self._spawn_items(ex, th, state)
        th["phase"] = "join"
        self._checkpoint(ex)

    def _spawn_items(self, ex: _Exec, th: dict, state: dict) -> None:
        jsonata = self._ql(ex, th, state) == "JSONata"
        running = len(th["children"]) - th["done"]
        proc = state.get("ItemProcessor") or state["Iterator"]
        while th["pending_items"] and (th["limit"] <= 0 or running < th["limit"]):
            i = th["pending_items"].pop(0)
            item = {"Index": i, "Value": th["items"][i]}
            selector = state.get("ItemSelector", state.get("Parameters"))
            value = item["Value"]
            if selector is not None:
                pseudo = {**th, "item": item}
                if jsonata:
                    value = jsonata_mode.fill(selector, self._states_var(ex, pseudo), th["vars"])
                else:
                    data = dataflow.select_or_empty(th["input"], state, "InputPath", self._context(ex, pseudo), th["vars"])
                    value = dataflow.apply_template(selector, data, self._context(ex, pseudo), th["vars"])
            child = self._new_thread(ex, th, f"{th['scope']}/{th['state']}[map]", proc["StartAt"], value, th["vars"],
                                     slot=i, item=item)
            th["children"].append(child["id"])
            self._event(ex, "MapIterationStarted", th["state"], index=i)
            self._ready.append((ex.arn, child["id"]))
            running += 1
        if not th["pending_items"]:
            th["items"] = []

    def _join(self, ex: _Exec, th: dict, state: dict) -> bool:
        if th["done"] < th["total"]:
            return False
        typ = state["Type"]
        self._event(ex, f"{typ}StateSucceeded", th["state"])
        self._drop_children(ex, th)
        self._exit(ex, th, state, th["input"], result=th["results"])
        return True

    def _child_finished(self, ex: _Exec, child: dict, ok: bool, output: Any, error: str = "", cause: str = "") -> None:
        parent = ex.threads[child["parent"]]
        if parent["status"] != "active" or parent["phase"] != "join":
            return
        state = self._state(ex, parent)
        parent["done"] += 1
        if state["Type"] == "Map":
            self._event(ex, "MapIterationSucceeded" if ok else "MapIterationFailed", parent["state"], index=child["slot"],
                        **({} if ok else {"error": error, "cause": cause}))
        if ok:
            parent["results"][child["slot"]] = output
        elif state["Type"] == "Parallel":
            self._abort_children(ex, parent)
            self._event(ex, "ParallelStateFailed", parent["state"], error=error, cause=cause)
            self._state_error_later(ex, parent, state, error or BRANCH_FAILED, cause)
            return
        else:
            parent["failures"] += 1
            parent["results"][child["slot"]] = {"Error": error, "Cause": cause}
            count = state.get("ToleratedFailureCount")
            pct = state.get("ToleratedFailurePercentage")
            tolerated = count is not None or pct is not None
            over = (not tolerated) or (count is not None and parent["failures"] > count) or \
                   (pct is not None and parent["failures"] * 100.0 / max(parent["total"], 1) > pct)
            if over:
                self._abort_children(ex, parent)
                err = TOLERATED if tolerated else error
                why = f"{parent['failures']} of {parent['total']} items failed" if tolerated else cause
                self._event(ex, "MapStateFailed", parent["state"], error=err, cause=why)
                self._state_error_later(ex, parent, state, err, why)
                return
        if state["Type"] == "Map":
            self._spawn_items(ex, parent, state)
        self._ready.append((ex.arn, parent["id"]))

    def _state_error_later(self, ex: _Exec, th: dict, state: dict, error: str, cause: str) -> None:
        self._drop_children(ex, th)
        self._state_error(ex, th, state, error, cause)
        if th["status"] == "active":
            self._ready.append((ex.arn, th["id"]))

    def _abort_children(self, ex: _Exec, th: dict) -> None:
        state = self._state(ex, th)
        for cid in th.get("children", []):
            child = ex.threads.get(cid)
            if child and child["status"] == "active":
                self._abort_thread(ex, child)
                if state["Type"] == "Map":
                    self._event(ex, "MapIterationAborted", th["state"], index=child["slot"])

    def _abort_thread(self, ex: _Exec, th: dict) -> None:
        th["status"] = "aborted"
        if th.get("token"):
            self.tables.set_token(th["token"], "closed")
        for cid in th.get("children", []) if th.get("phase") == "join" else []:
            child = ex.threads.get(cid)
            if child and child["status"] == "active":
                self._abort_thread(ex, child)

    # ---------------------------------------------------------------- ends
    def _thread_done(self, ex: _Exec, th: dict, output: Any) -> None:
        th.update(status="done", output=output, due=None)
        if th["parent"] is None:
            self._finish(ex, "SUCCEEDED", "ExecutionSucceeded", output=output)
        else:
            self._child_finished(ex, th, True, output)
        self._checkpoint(ex)

    def _thread_failed(self, ex: _Exec, th: dict, error: str, cause: str, from_fail_state: bool = False) -> None:
        th.update(status="failed", error=error, cause=cause, due=None)
        if th["parent"] is None:
            self._finish(ex, "FAILED", "ExecutionFailed", error=error, cause=cause)
        else:
            self._child_finished(ex, th, False, None, error, cause)
        self._checkpoint(ex)

    def _drop_children(self, ex: _Exec, th: dict) -> None:
        """Finished child threads leave the snapshot once the parent holds their result."""
        for cid in th.get("children", []):
            ex.threads.pop(cid, None)
        th["children"] = []

    def _finish(self, ex: _Exec, status: str, event: str, output: Any = None, error: str | None = None,
                cause: str | None = None) -> None:
        ex.status, ex.output, ex.error, ex.cause, ex.stop = status, output, error, cause, self.clock.now()
        details: dict[str, Any] = {"output": output} if event == "ExecutionSucceeded" else {}
        if error is not None or cause is not None:
            details.update(error=error, cause=cause)
        self._event(ex, event, None, **details)
        for th in ex.threads.values():
            if th["status"] == "active":
                th["status"] = "aborted" if status != "SUCCEEDED" else th["status"]
        self.tables.close_tokens(ex.arn)
        for key in [k for k in self._armed if k[0] == ex.arn]:
            self._armed.pop(key)[1].cancel()
