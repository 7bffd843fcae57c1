"""`Engine`: a local Step Functions, with the service's API actions as its methods.

CreateStateMachine (and publishing versions), StartExecution, StopExecution, DescribeExecution,
GetExecutionHistory, ListExecutions, SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat —
plus `resume()` for a restarted process and `run_until_idle()` to drive a virtual clock. The
walking itself is `interpreter.Interpreter`'s; this façade keeps the store, the clock and the
callables the user gave, and answers from the tables.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from engines import jsonio
from engines.clock import EPOCH, Clock, VirtualClock
from engines.statemachine import task
from engines.statemachine.errors import ExecutionNotFound, StatemachineError, TaskTokenError
from engines.statemachine.execution import ROLE_ARN, Execution, ExecutionStatus, execution_arn, machine_arn
from engines.statemachine.history import HistoryEvent, HistoryEventType
from engines.statemachine.interpreter import Interpreter
from engines.statemachine.quotas import MAX_PAYLOAD_BYTES, payload_bytes, too_large
from engines.statemachine.resources import Resources
from engines.statemachine.tables import ExecutionStore, TokenStatus
from engines.statemachine.threads import BLOCKED, Phase
from engines.statemachine.timestamps import iso, parse_iso
from engines.statemachine.validate import load_definition
from engines.store import Store, open_store
from engines.trace import TraceEvent, TraceRecorder


class Engine:
    """A local Step Functions: state machines, executions, task tokens, history.

    `Engine(db, clock, resources)` — several engines may open the same file one after another
    (a restarted process); call `resume()` on the new one to re-arm what the old one left.
    """

    def __init__(self, db: str | Path | Store = ":memory:", clock: Clock | None = None,
                 resources: Resources | None = None, *, listener: Callable[[TraceEvent], None] | None = None,
                 recorder: TraceRecorder | None = None) -> None:
        self.store = db if isinstance(db, Store) else open_store(db)
        self._run = Interpreter(ExecutionStore(self.store), clock or VirtualClock(EPOCH),
                                resources if resources is not None else Resources(),
                                recorder if recorder is not None else TraceRecorder("statemachine", listener), self)

    @property
    def tables(self) -> ExecutionStore:
        return self._run.tables

    @property
    def clock(self) -> Clock:
        return self._run.clock

    @property
    def resources(self) -> Resources:
        return self._run.resources

    @property
    def recorder(self) -> TraceRecorder:
        return self._run.recorder

    # ---------------------------------------------------------------- state machines
    def create_state_machine(self, name: str, definition: dict | str | Path) -> int:
        """Validate and store a definition; returns its version (1, 2, … for each publish)."""
        data = load_definition(definition, name=name if isinstance(definition, dict) else None)
        return self.tables.add_version(name, data, iso(self.clock.now()))

    publish_version = create_state_machine  # a new version of the same name: running executions keep theirs

    # ---------------------------------------------------------------- executions
    def start_execution(self, state_machine: str, input: Any = None, name: str | None = None,
                        version: int | None = None) -> str:
        """Start an execution of the latest (or a given) version; returns its ARN."""
        version = version or self.tables.latest_version(state_machine)
        if version is None:
            raise StatemachineError(f"state machine {state_machine!r} does not exist; create it first")
        definition, blocks = self._run.definition(state_machine, version)
        name = name or str(uuid.uuid4())
        arn = execution_arn(state_machine, name)
        if self.tables.execution(arn) is not None:
            raise StatemachineError(f"an execution named {name!r} already exists for {state_machine!r}")
        now = self.clock.now()
        data = {} if input is None else input
        if too_large(data):  # StartExecution refuses it: the input is at most 256 KiB (service-quotas.html)
            raise StatemachineError(f"the execution input is {payload_bytes(data):,} bytes of JSON; "
                                    f"Step Functions takes at most {MAX_PAYLOAD_BYTES:,} (256 KiB)")
        ex = Execution(arn, name, state_machine, version, definition, ExecutionStatus.RUNNING, data, now, {},
                       scopes=blocks)
        if definition.get("TimeoutSeconds"):
            ex.deadline = iso(now + timedelta(seconds=definition["TimeoutSeconds"]))
        top = self._run.new_thread(ex, None, "", definition["StartAt"], data, {})
        with self.store.transaction():  # the execution, its first thread and ExecutionStarted: all or nothing
            self.tables.insert_execution({"arn": arn, "name": name, "state_machine": state_machine, "version": version,
                                          "status": ExecutionStatus.RUNNING, "input": jsonio.dumps(data),
                                          "start": iso(now)})
            self._run.event(ex, HistoryEventType.EXECUTION_STARTED, None, input=data, roleArn=ROLE_ARN,
                            stateMachineArn=machine_arn(state_machine), version=version)
            self._run.checkpoint(ex)
        self._run.adopt(ex)
        self._run.ready(ex, top)
        self._run.drain()
        return arn

    def resume(self) -> list[str]:
        """Load every RUNNING execution from the store and re-arm its timers (a restarted process)."""
        saved = self.tables.clock()
        if saved and isinstance(self.clock, VirtualClock):
            self.clock.set(parse_iso(saved))
        arns = []
        for row in self.tables.executions(ExecutionStatus.RUNNING):
            ex = self._run.load(row["arn"])
            arns.append(ex.arn)
            self._run.arm(ex, full=True)
            for th in ex.threads.values():
                if not th.active:
                    continue
                if th.phase not in BLOCKED:
                    self._run.ready(ex, th)  # it was between two steps: redo that step
                elif th.phase == Phase.JOIN and th.fanout is not None and th.fanout.done >= th.fanout.total:
                    self._run.ready(ex, th)  # every child came back before the process died: join now
                elif th.phase == Phase.CALLBACK and th.token:
                    tok = self.tables.token(th.token)
                    if tok and task.answer_of(tok) is not None:
                        self._run.ready(ex, th)  # answered (perhaps even taken) before the process died
        self._run.drain()
        return arns

    def stop_execution(self, arn: str, error: str | None = None, cause: str | None = None) -> None:
        """ABORTED at once: no Catch runs, nothing is compensated, outstanding tokens die."""
        ex = self._run.load(arn)
        if not ex.running:
            raise StatemachineError(f"execution {ex.name!r} is already {ex.status}")
        self._run.finish(ex, ExecutionStatus.ABORTED, HistoryEventType.EXECUTION_ABORTED, error=error, cause=cause)
        self._run.checkpoint(ex)

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
        ex = self._run.load(arn)
        return [th.token for th in ex.threads.values() if th.active and th.phase == Phase.CALLBACK and th.token]

    # ---------------------------------------------------------------- callbacks
    def send_task_success(self, token: str, output: Any) -> None:
        self._answer(token, {"ok": True, "output": output})

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        self._answer(token, {"ok": False, "error": error or "", "cause": cause or ""})

    def send_task_heartbeat(self, token: str) -> None:
        """Resets the task's heartbeat clock (no history event, as in AWS)."""
        arn, tid = self._token_owner(token)
        ex = self._run.load(arn)
        task.heartbeat(self._run, ex, ex.threads[tid])

    def _token_owner(self, token: str) -> tuple[str, str]:
        row = self.tables.token(token)
        if row is None:
            raise TaskTokenError(f"invalid task token {token[:12]}…: no task is waiting on it")
        if row["status"] != TokenStatus.WAITING:
            why = "already answered" if row["status"] == TokenStatus.ANSWERED else \
                "closed (the task failed or timed out, or the execution ended)"
            raise TaskTokenError(f"task token {token[:12]}… is {why}")
        return row["execution"], row["thread"]

    def _answer(self, token: str, answer: dict) -> None:
        arn, tid = self._token_owner(token)
        self.tables.set_token(token, TokenStatus.ANSWERED, answer)
        ex = self._run.load(arn)
        th = ex.threads.get(tid)
        if th is not None and th.active and th.phase == Phase.CALLBACK and (arn, tid) not in self._run.invoking:
            self._run.ready(ex, th)
            self._run.drain()

    # ---------------------------------------------------------------- driving
    def run_until_idle(self, until: datetime | None = None) -> None:
        """On a virtual clock: jump timer to timer until nothing is due (or `until`)."""
        if isinstance(self.clock, VirtualClock):
            self.clock.run_until_idle(until)
        elif until is not None:
            self.clock.advance_to(until)
