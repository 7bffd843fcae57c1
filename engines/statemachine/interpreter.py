"""The interpreter: walks an ASL definition on the shared clock, checkpointed before every side effect.

An execution is a set of *threads* (threads.py: the top-level run, each Parallel branch, each
Map iteration), checkpointed to SQLite so a new process can pick it up: before a task is
invoked (what it is handed and every transition before it are on file before the resource
sees it) and whenever the ready threads have all blocked or ended. The transitions in between
(a Pass, a Choice, a branch that ends, a retry's back-off set) run no code outside the engine,
so they go into the next checkpoint instead of one each: a process that dies between two
checkpoints resumes from the last one and runs the same transitions again, with the same
result, and no resource is called twice that would not have been anyway. A checkpoint writes
only the threads that changed (each change goes through `Execution.touch`),
and a branch or iteration that ends is folded into its parent's result and leaves the live
threads, so a transition costs the same however many items a Map has. Nothing ever sleeps:
Wait states, retry back-off, task timeouts, heartbeats and the execution timeout are absolute
due times armed on the clock. `Interpreter` steps threads from a
ready queue until each blocks, ends or hands over to children; what a state does is in its
family's module (flow, choice_state, wait, task, fanout) and errors go to error_handling. Those
modules call back through `runtime.Runtime`, which this class implements. The public API is
`engine.Engine`.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import datetime
from typing import Any, Callable

from engines import jsonio
from engines.clock import Clock, Timer
from engines.statemachine import choice_state, dataflow, fanout, flow, task, wait
from engines.statemachine.asl import FAN_OUT, WITH_RESULT, QueryLanguage, StateType
from engines.statemachine.context import context_object
from engines.statemachine.dataflow import StateView
from engines.statemachine.error_handling import handle_error
from engines.statemachine.errors import DATA_LIMIT, QUERY_EVALUATION, RUNTIME, TIMEOUT, ExecutionNotFound, StatemachineError, StatesError
from engines.statemachine.execution import Execution, ExecutionStatus
from engines.statemachine.history import HistoryEventType
from engines.statemachine.quotas import HISTORY_LIMIT_CAUSE, MAX_HISTORY_EVENTS, data_limit_cause, too_large
from engines.statemachine.resources import Resources
from engines.statemachine.scopes import Scopes, scopes
from engines.statemachine.tables import ExecutionStore
from engines.statemachine.threads import BLOCKED, Phase, Thread, ThreadStatus
from engines.statemachine.timestamps import iso, parse_iso
from engines.statemachine.words import describe
from engines.trace import Severity, TraceRecorder

EXECUTION_TIMEOUT_CAUSE = "The execution ran longer than its TimeoutSeconds"
#: The events that end an execution (the last one it has).
_ENDINGS = frozenset({HistoryEventType.EXECUTION_SUCCEEDED, HistoryEventType.EXECUTION_FAILED,
                      HistoryEventType.EXECUTION_ABORTED, HistoryEventType.EXECUTION_TIMED_OUT})


def _number(tid: str) -> int:
    return int(tid[1:])


class Interpreter:
    """Runs the executions of one store on one clock (implements `runtime.Runtime` for the state families)."""

    def __init__(self, tables: ExecutionStore, clock: Clock, resources: Resources, recorder: TraceRecorder,
                 facade: Any) -> None:
        self.tables = tables
        self.clock = clock
        self.resources = resources
        self.recorder = recorder
        self.rng = random.Random(0)
        self.invoking: set[tuple[str, str]] = set()
        self.executions: dict[str, Execution] = {}
        self._facade = facade
        self._definitions: dict[tuple[str, int], tuple[dict, Scopes]] = {}
        self._armed: dict[tuple[str, str], tuple[str, Timer]] = {}
        self._ready: deque[tuple[str, str]] = deque()
        self._draining = False
        self._phases: dict[Phase, Callable[[Execution, Thread, dict], bool]] = {
            Phase.ENTER: self._enter, Phase.INVOKE: self._invoke, Phase.START: self._start, Phase.WAIT: self._waited,
            Phase.RETRY: self._retry, Phase.CALLBACK: self._callback, Phase.PENDING: self._pending,
            Phase.JOIN: self._join}

    @property
    def facade(self) -> Any:
        return self._facade

    # ---------------------------------------------------------------- definitions, executions
    def definition(self, name: str, version: int) -> tuple[dict, Scopes]:
        """A stored definition version and its scopes (cached: versions never change)."""
        key = (name, version)
        if key not in self._definitions:
            data = self.tables.definition(name, version)
            if data is None:
                raise StatemachineError(f"state machine {name!r} version {version} does not exist")
            self._definitions[key] = (data, scopes(data))
        return self._definitions[key]

    def load(self, arn: str) -> Execution:
        """The execution in this process, loading it from its checkpoint the first time."""
        if arn in self.executions:
            return self.executions[arn]
        row = self.tables.execution(arn)
        if row is None:
            raise ExecutionNotFound(f"no execution {arn!r}")
        definition, blocks = self.definition(row["state_machine"], row["version"])
        progress = self.tables.progress(arn)
        if progress is None:
            raise StatemachineError(f"execution {arn!r} has no stored progress (the file is damaged)")
        ex = Execution.from_row(row, progress, self.tables.threads(arn), definition, blocks)
        self.executions[arn] = ex
        return ex

    def adopt(self, ex: Execution) -> None:
        """A new execution (already inserted in the store) runs in this process from now on."""
        self.executions[ex.arn] = ex

    # ---------------------------------------------------------------- threads
    def new_thread(self, ex: Execution, parent: Thread | None, scope: str, state: str, data: Any,
                   variables: dict[str, Any], slot: int = 0, item: dict[str, Any] | None = None) -> Thread:
        ex.seq += 1
        th = Thread(f"t{ex.seq}", parent.id if parent else None, slot, scope, state, data, vars=dict(variables),
                    item=item)
        ex.threads[th.id] = th
        ex.touch(th)
        return th

    def state_of(self, ex: Execution, th: Thread) -> dict:
        return ex.scopes[th.scope].block["States"][th.state]

    def language(self, ex: Execution, th: Thread, state: dict) -> QueryLanguage:
        """The state's own QueryLanguage, else its block's (inherited from the definition)."""
        own = state.get("QueryLanguage")
        return QueryLanguage(own) if own else ex.scopes[th.scope].language

    def view(self, ex: Execution, th: Thread, state: dict, *, item: dict | None = None) -> StateView:
        retries = state["Type"] in WITH_RESULT  # Task, Parallel, Map: the states with a Retry field
        return StateView(th.input, context_object(ex, th, self.clock.now(), item=item, retries=retries), th.vars,
                         self.language(ex, th, state))

    def ready(self, ex: Execution, th: Thread) -> None:
        self._ready.append((ex.arn, th.id))

    # ---------------------------------------------------------------- driving
    def drain(self) -> None:
        """Step every ready thread until none is left, then checkpoint and re-arm what was touched."""
        if self._draining:
            return
        self._draining = True
        touched: dict[str, None] = {}
        try:
            while self._ready:
                arn, tid = self._ready.popleft()
                ex = self.executions.get(arn)
                if ex is None or not ex.running:
                    continue
                th = ex.threads.get(tid)
                if th is None or not th.active:
                    continue
                touched[arn] = None
                self._step(ex, th)
        finally:
            self._draining = False
        for arn in touched:
            ex = self.executions[arn]
            self.checkpoint(ex)
            self.arm(ex)

    def _due(self, th: Thread) -> bool:
        return th.due is None or parse_iso(th.due) <= self.clock.now()

    def _step(self, ex: Execution, th: Thread) -> None:
        """Run one thread until it blocks, ends, or hands over to children."""
        try:
            while th.active and ex.running:
                ex.touch(th)  # a checkpoint inside a phase may come before the phase's last change
                state = self.state_of(ex, th)
                try:
                    handler = self._phases.get(th.phase)
                    if handler is None:
                        raise StatesError(RUNTIME, f"unknown phase {th.phase}")
                    if not handler(ex, th, state):
                        return
                except StatesError as err:
                    if err.error == QUERY_EVALUATION:
                        # AWS-recorded: …StateEntered, EvaluationFailed, ExecutionFailed (LocalStack
                        # assign/test_assign_reference_variables.snapshot.json, test_undefined_reference)
                        self.event(ex, HistoryEventType.EVALUATION_FAILED, th.state, error=err.error, cause=err.cause)
                    self.state_error(ex, th, state, err.error, err.cause)
        finally:
            if ex.threads.get(th.id) is th:  # (one that ended and left was touched as it left)
                ex.touch(th)

    # Each phase's step: False when the thread must wait (for its due time, a callback, its children).
    def _enter(self, ex: Execution, th: Thread, state: dict) -> bool:
        typ = state["Type"]
        th.enter_state(iso(self.clock.now()))
        if typ == StateType.FAIL:
            flow.enter_fail(self, ex, th, state)
        elif typ == StateType.WAIT:
            wait.enter_wait(self, ex, th, state)
        else:
            self.event(ex, HistoryEventType.of_state(typ, "Entered"), th.state, input=th.input)
            if typ == StateType.TASK:
                th.phase = Phase.INVOKE
            elif typ in FAN_OUT:
                th.phase = Phase.START
            elif typ == StateType.PASS:
                flow.enter_pass(self, ex, th, state)
            elif typ == StateType.SUCCEED:
                flow.enter_succeed(self, ex, th, state)
            elif typ == StateType.CHOICE:
                choice_state.enter_choice(self, ex, th, state)
        return True

    def _invoke(self, ex: Execution, th: Thread, state: dict) -> bool:
        task.invoke(self, ex, th, state)
        return True

    def _start(self, ex: Execution, th: Thread, state: dict) -> bool:
        fanout.start(self, ex, th, state)
        return True

    def _waited(self, ex: Execution, th: Thread, state: dict) -> bool:
        if not self._due(th):
            return False
        self.exit(ex, th, state, None)
        return True

    def _retry(self, ex: Execution, th: Thread, state: dict) -> bool:
        if not self._due(th):
            return False
        th.phase = Phase.START if state["Type"] in FAN_OUT else Phase.INVOKE
        return True

    def _callback(self, ex: Execution, th: Thread, state: dict) -> bool:
        return task.poll_callback(self, ex, th, state)

    def _pending(self, ex: Execution, th: Thread, state: dict) -> bool:
        if not self._due(th):
            return False
        task.settle_pending(self, ex, th, state)
        return True

    def _join(self, ex: Execution, th: Thread, state: dict) -> bool:
        return fanout.join(self, ex, th, state)

    # ---------------------------------------------------------------- transitions
    def exit(self, ex: Execution, th: Thread, state: dict, result: Any, *, next_state: str | None = None,
             rule: dict | None = None) -> None:
        def assign(variables: dict[str, Any]) -> None:
            th.vars = variables

        output = dataflow.leave(state, self.view(ex, th, state), result, assign, rule)
        if too_large(output):
            # terminal: no Retry or Catch, no …StateExited (AWS-recorded: test_states_errors.snapshot.json,
            # test_start_large_input — PassStateEntered then ExecutionFailed)
            self.thread_failed(ex, th, DATA_LIMIT, data_limit_cause(th.state))
            return
        self.event(ex, HistoryEventType.of_state(state["Type"], "Exited"), th.state, output=output)
        self.goto(ex, th, state, output, next_state)

    def goto(self, ex: Execution, th: Thread, state: dict, output: Any, next_state: str | None) -> None:
        ex.touch(th)
        nxt = next_state or state.get("Next")
        if nxt is None or state.get("End") or state["Type"] == StateType.SUCCEED:
            self._thread_done(ex, th, output)
            return
        th.state, th.input, th.phase, th.due = nxt, output, Phase.ENTER, None
        self.transitioned(ex)

    def state_error(self, ex: Execution, th: Thread, state: dict, error: str, cause: str,
                    also: tuple[str, ...] = ()) -> None:
        ex.touch(th)
        handle_error(self, ex, th, state, error, cause, also)

    def _thread_done(self, ex: Execution, th: Thread, output: Any) -> None:
        th.status, th.output, th.due = ThreadStatus.DONE, output, None
        ex.touch(th)
        if th.parent is None:
            self.finish(ex, ExecutionStatus.SUCCEEDED, HistoryEventType.EXECUTION_SUCCEEDED, output=output)
        else:
            fanout.child_finished(self, ex, th, True, output)
        self.transitioned(ex)

    def thread_failed(self, ex: Execution, th: Thread, error: str, cause: str) -> None:
        th.status, th.error, th.cause, th.due = ThreadStatus.FAILED, error, cause, None
        ex.touch(th)
        if th.parent is None:
            self.finish(ex, ExecutionStatus.FAILED, HistoryEventType.EXECUTION_FAILED, error=error, cause=cause)
        else:
            fanout.child_finished(self, ex, th, False, None, error, cause)
        self.transitioned(ex)

    def finish(self, ex: Execution, status: ExecutionStatus, event: HistoryEventType, output: Any = None,
               error: str | None = None, cause: str | None = None) -> None:
        """The execution ends: its last event, every thread still active aborted, tokens closed, timers cancelled.

        Only once: an execution that has already ended (e.g. at the history quota, in the middle of a
        state's step) stays as it ended.
        """
        if not ex.running:
            return
        ex.status, ex.output, ex.error, ex.cause, ex.stop = status, output, error, cause, self.clock.now()
        details: dict[str, Any] = {"output": output} if event == HistoryEventType.EXECUTION_SUCCEEDED else {}
        if error is not None or cause is not None:
            details.update(error=error, cause=cause)
        self.event(ex, event, None, **details)
        if status != ExecutionStatus.SUCCEEDED:
            for th in ex.threads.values():
                if th.active:
                    th.status = ThreadStatus.ABORTED
                    ex.touch(th)
        self.tables.close_tokens(ex.arn)
        for key in [k for k in self._armed if k[0] == ex.arn]:
            self._armed.pop(key)[1].cancel()

    # ---------------------------------------------------------------- history and checkpoints
    def event(self, ex: Execution, kind: HistoryEventType, state: str | None, **details: Any) -> None:
        """Append a history event; at the 25,000th that is not the execution's end, the execution fails instead."""
        eid = ex.next_event
        if kind not in _ENDINGS:
            if not ex.running:
                return  # the execution has ended (its last event is written): nothing more goes into its history
            if eid >= MAX_HISTORY_EVENTS:
                self.finish(ex, ExecutionStatus.FAILED, HistoryEventType.EXECUTION_FAILED, error=RUNTIME,
                            cause=HISTORY_LIMIT_CAUSE)
                return
        ex.next_event += 1
        now = self.clock.now()
        ex.events.append((ex.arn, eid, eid - 1, iso(now), kind, state, jsonio.dumps(details)))
        self.recorder.emit(now, kind, state or ex.name, describe(kind, state, details),
                           Severity.WARNING if kind.is_warning else Severity.INFO, execution=ex.name, event_id=eid,
                           **details)

    def transitioned(self, ex: Execution) -> None:
        """A transition that calls nothing outside the engine: inside a drain it waits for the
        drain's end (or the next task's invocation) to be checkpointed with the others."""
        if not self._draining:
            self.checkpoint(ex)

    def checkpoint(self, ex: Execution) -> None:
        """One transaction: the new history events, the touched threads' rows, the execution's counters and
        outcome where they changed; nothing at all when nothing changed since the last one."""
        progress = ex.progress()
        if ex.running and not ex.dirty and not ex.events and progress == ex.saved_progress:
            return
        ended: dict[str, Any] | None = None
        if not ex.running:
            ended = {"status": ex.status, "output": None if ex.output is None else jsonio.dumps(ex.output),
                     "error": ex.error, "cause": ex.cause, "stop": iso(ex.stop) if ex.stop else None}
        changes = ex.changes()
        self.tables.checkpoint(ex.arn, None if progress == ex.saved_progress else progress, ended, ex.events,
                               iso(self.clock.now()), changes)
        ex.events = []
        ex.dirty = {}
        ex.saved_progress = progress

    # ---------------------------------------------------------------- timers
    def arm(self, ex: Execution, *, full: bool = False) -> None:
        """Make sure a clock timer stands for every due time this execution waits on.

        Only the threads touched since the last call can have a new due time; `full` looks at every
        thread (an execution just loaded).
        """
        moved, ex.moved = ex.moved, set()
        if not ex.running:
            return
        threads = ex.threads
        wanted: dict[tuple[str, str], str] = {}
        # in thread order, as a full pass would: timers due at the same instant fire in the order armed
        for tid in (threads if full else sorted(moved, key=_number)):
            th = threads.get(tid)
            if th is not None and th.active and th.due and th.phase in BLOCKED:
                wanted[(ex.arn, tid)] = th.due
        if ex.deadline:
            wanted[(ex.arn, "")] = ex.deadline
        for key, due in wanted.items():
            armed = self._armed.get(key)
            if armed and armed[0] == due:
                continue
            if armed:
                armed[1].cancel()
            timer = self.clock.call_at(parse_iso(due), self._on_timer(key, due), f"sfn {key[1] or 'timeout'}")
            self._armed[key] = (due, timer)

    def _on_timer(self, key: tuple[str, str], due: str) -> Callable[[datetime], None]:
        return lambda now: self._fire(key, due)

    def _fire(self, key: tuple[str, str], due: str) -> None:
        if key in self._armed and self._armed[key][0] == due:
            del self._armed[key]
        arn, tid = key
        ex = self.executions.get(arn)
        if ex is None or not ex.running:
            return
        if tid == "":
            self.finish(ex, ExecutionStatus.TIMED_OUT, HistoryEventType.EXECUTION_TIMED_OUT, error=TIMEOUT,
                        cause=EXECUTION_TIMEOUT_CAUSE)
            self.checkpoint(ex)
            return
        th = ex.threads.get(tid)
        if th and th.active and th.due == due:
            self._ready.append(key)
            self.drain()
