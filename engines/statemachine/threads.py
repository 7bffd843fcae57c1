"""Execution threads: the top-level run, each Parallel branch, each Map iteration.

A thread says which state it is in, with what input and variables, what it waits for and until
when. `Thread.to_json` / `Thread.from_json` are the whole thread in the flat keys that the first
interpreter wrote into its one-document checkpoints ("phase", "due", "prefix", "children", …);
`from_json` still reads those checkpoints as they are.

Since schema 2 a checkpoint writes only the threads that changed, one row each (tables.py):
`body()` (the control state) and `data_json()` (input, variables, Map item, and a Map's items
still to start; its text is encoded again only when one of those objects is replaced — the
engine never changes them in place). A branch or iteration that ends leaves the execution at
once: its row is rewritten in its final form (status, output or error, no data), which is
how its result is kept until the parent joins; a parent is not rewritten as its children come
back, since what it counts (`done`, `failures`, the items left to start) and its `results` are
read back from those rows and from its live children's (`FanOut.adopt`). `from_row` reads
both the row form and the one-document form that migration 2 moved into rows.

Due times are kept as ISO text (the checkpoint's form), compared as text where the old code did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engines import jsonio
from engines.statemachine.history import TaskEventPrefix


class ThreadStatus(StrEnum):
    ACTIVE = "active"
    DONE = "done"
    FAILED = "failed"
    ABORTED = "aborted"


class Phase(StrEnum):
    """Where a thread is inside its current state (what `_step` does next)."""

    ENTER = "enter"        # about to enter the state
    INVOKE = "invoke"      # a Task about to call its resource
    START = "start"        # a Parallel/Map about to fan out
    WAIT = "wait"          # a Wait state, until `due`
    RETRY = "retry"        # backing off before a retry, until `due`
    CALLBACK = "callback"  # a .waitForTaskToken task waiting for SendTask*, or its timeout `due`
    PENDING = "pending"    # a Deferred task answer, due at `due`
    JOIN = "join"          # a Parallel/Map waiting for its children


_ACTIVE = ThreadStatus.ACTIVE  # read on every step; a module global is cheaper than the class attribute

#: Phases that wait for a due time or for someone else; any other phase is "between two steps".
BLOCKED = frozenset({Phase.WAIT, Phase.RETRY, Phase.CALLBACK, Phase.PENDING, Phase.JOIN})


@dataclass(slots=True)
class PendingAnswer:
    """What a callable's `Deferred` will answer with once its virtual seconds have passed."""

    value: Any
    error: str | None
    cause: str

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "error": self.error, "cause": self.cause}


@dataclass(slots=True)
class TaskRun:
    """A Task state's current invocation: its history-event prefix and its two due times."""

    prefix: TaskEventPrefix            # Task, LambdaFunction or Activity (names the events)
    deadline: str | None = None        # TimeoutSeconds after the start
    hb_due: str | None = None          # HeartbeatSeconds after the start or the last heartbeat
    pending: PendingAnswer | None = None


@dataclass(slots=True)
class MapItems:
    """A Map's items still to start (MaxConcurrency holds them back)."""

    pending_items: list[int] = field(default_factory=list)  # indices not started yet
    items: list[Any] = field(default_factory=list)          # the items, until all have started
    limit: int = 0                                          # MaxConcurrency (0: no limit)


@dataclass(slots=True)
class FanOut:
    """A Parallel's branches or a Map's iterations, and how many have come back.

    A finished child's result (or {"Error", "Cause"}) is folded into `results` and the child
    leaves the execution; `children` still names it (its row stays until the parent joins).
    """

    children: list[str] = field(default_factory=list)  # thread ids, in start order
    results: list[Any] = field(default_factory=list)   # by branch/item index
    failures: int = 0
    done: int = 0
    total: int = 0
    map: MapItems | None = None                        # a Map's; None for a Parallel

    def adopt(self, child: Thread) -> None:
        """A child read back from its row: a live one is joined again, a finished one is folded in."""
        self.children.append(child.id)
        if child.status == ThreadStatus.DONE:
            self.results[child.slot] = child.output
        elif child.status == ThreadStatus.FAILED:
            self.results[child.slot] = {"Error": child.error, "Cause": child.cause}
            self.failures += 1
        else:
            return
        self.done += 1


@dataclass(slots=True)
class Thread:
    id: str
    parent: str | None
    slot: int                      # index among the parent's branches/items
    scope: str                     # the States block it walks (see scopes.py)
    state: str
    input: Any
    phase: Phase = Phase.ENTER
    status: ThreadStatus = ThreadStatus.ACTIVE
    due: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    item: dict[str, Any] | None = None  # Map: {"Index", "Value"} for $$.Map.Item
    entered: str | None = None          # when the current state was entered ($$.State.EnteredTime)
    attempts: dict[str, int] = field(default_factory=dict)  # retries used, by retrier index (as text)
    retry_count: int = 0                # $$.State.RetryCount
    token: str | None = None            # the current callback task's token ($$.Task.Token)
    retry_delays: list[float] = field(default_factory=list)  # back-offs so far, for a person reading the checkpoint
    waited: float | None = None         # the last Wait's seconds, for a person reading the checkpoint
    task: TaskRun | None = None
    fanout: FanOut | None = None
    output: Any = None                  # once DONE
    error: str | None = None            # once FAILED
    cause: str | None = None
    #: Not in the checkpoint: the objects last encoded by `data_json` and their text.
    _data: tuple[Any, Any, Any, Any, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == _ACTIVE

    @property
    def number(self) -> int:
        """The thread's number (ids are t1, t2, … in creation order): its row's key."""
        return int(self.id[1:])

    def enter_state(self, entered: str) -> None:
        """A fresh start in the current state: no retries used, no token, nothing due."""
        self.entered, self.attempts, self.retry_count, self.token, self.due = entered, {}, 0, None, None
        self.task = self.fanout = None

    # ------------------------------------------------------------------ checkpoint form
    def _put_control(self, out: dict[str, Any]) -> None:
        """The keys both stored forms share: the state's attempt, wait and task bookkeeping."""
        if self.entered is not None:
            out["entered"] = self.entered
            out["attempts"] = self.attempts
            out["retry_count"] = self.retry_count
            out["token"] = self.token
        if self.waited is not None:
            out["waited"] = self.waited
        t = self.task
        if t is not None:
            out["prefix"] = t.prefix
            out["deadline"] = t.deadline
            out["hb_due"] = t.hb_due
            if t.pending is not None:
                out["pending"] = t.pending.to_json()
        if self.retry_delays:
            out["retry_delays"] = self.retry_delays

    def _put_ending(self, out: dict[str, Any]) -> None:
        """How a finished thread ended: its output, or its error and cause."""
        if self.status != _ACTIVE:
            if self.status == ThreadStatus.DONE:
                out["output"] = self.output
            elif self.status == ThreadStatus.FAILED:
                out["error"] = self.error
                out["cause"] = self.cause

    def to_json(self) -> dict[str, Any]:
        """The checkpoint form: the first interpreter's flat keys, optional groups only when used."""
        out: dict[str, Any] = {"id": self.id, "parent": self.parent, "slot": self.slot, "scope": self.scope,
                               "state": self.state, "input": self.input, "phase": self.phase, "status": self.status,
                               "due": self.due, "vars": self.vars, "item": self.item}
        self._put_control(out)
        f = self.fanout
        if f is not None:
            out["children"] = f.children
            out["results"] = f.results
            out["failures"] = f.failures
            out["done"] = f.done
            out["total"] = f.total
            if f.map is not None:
                out["pending_items"] = f.map.pending_items
                out["items"] = f.map.items
                out["limit"] = f.map.limit
        self._put_ending(out)
        return out

    # ------------------------------------------------------------------ row form (schema 2)
    def body(self) -> dict[str, Any]:
        """The control state: to_json() without input, vars and item, and of a fan-out only its size.

        A joining parent's counters, results and items left to start are not here: they are read back
        from its children's rows (`FanOut.adopt`), so a child coming back never rewrites its parent.
        """
        out: dict[str, Any] = {"id": self.id, "parent": self.parent, "slot": self.slot, "scope": self.scope,
                               "state": self.state, "phase": self.phase, "status": self.status, "due": self.due}
        self._put_control(out)
        f = self.fanout
        if f is not None:
            out["total"] = f.total
            if f.map is not None:
                out["limit"] = f.map.limit  # a Map's (a Parallel has none)
        self._put_ending(out)
        return out

    def data_json(self) -> str:
        """The `data` column: {"input", "vars", "item"} and a Map's items not started yet (re-encoded only if replaced)."""
        m = self.fanout.map if self.fanout is not None else None
        items = m.items if m is not None and m.items else None
        was = self._data
        if was is not None and was[0] is self.input and was[1] is self.vars and was[2] is self.item and was[3] is items:
            return was[4]
        data: dict[str, Any] = {"input": self.input, "vars": self.vars, "item": self.item}
        if items is not None:
            data["items"] = items
        text = jsonio.dumps(data)
        self._data = (self.input, self.vars, self.item, items, text)
        return text

    @classmethod
    def from_row(cls, body: dict[str, Any], data: dict[str, Any] | None) -> Thread:
        """A thread back from its row; a body with "input" is the one-document form, one without data a finished child.

        A joining parent comes back with no children and nothing done: each child's row, adopted
        (`FanOut.adopt`), gives them back; a Map's items left to start are then the tail after those.
        """
        if "input" in body:
            return cls.from_json(body)  # written by schema 1 (moved here by migration 2)
        th = cls.from_json({**body, "input": None if data is None else data["input"],
                            "vars": None if data is None else data.get("vars"),
                            "item": None if data is None else data.get("item")})
        if "total" in body:
            total = body["total"]
            items = MapItems([], list((data or {}).get("items") or []), body["limit"]) if "limit" in body else None
            th.fanout = FanOut([], [None] * total, 0, 0, total, items)
        return th

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Thread:
        """A thread back from its checkpoint form (this code's or the first interpreter's)."""
        task = None
        if "prefix" in d:
            p = d.get("pending")
            task = TaskRun(TaskEventPrefix(d["prefix"]), d.get("deadline"), d.get("hb_due"),
                           PendingAnswer(p["value"], p["error"], p["cause"]) if p is not None else None)
        fanout = None
        if "children" in d:
            items = MapItems(list(d["pending_items"]), list(d.get("items", [])), d.get("limit", 0)) \
                if "pending_items" in d else None
            fanout = FanOut(list(d["children"]), list(d.get("results", [])), d.get("failures", 0), d.get("done", 0),
                            d.get("total", 0), items)
        return cls(id=d["id"], parent=d["parent"], slot=d.get("slot", 0), scope=d["scope"], state=d["state"],
                   input=d["input"], phase=Phase(d["phase"]), status=ThreadStatus(d["status"]), due=d.get("due"),
                   vars=dict(d.get("vars") or {}), item=d.get("item"), entered=d.get("entered"),
                   attempts=dict(d.get("attempts") or {}), retry_count=d.get("retry_count", 0), token=d.get("token"),
                   retry_delays=list(d.get("retry_delays") or []), waited=d.get("waited"), task=task, fanout=fanout,
                   output=d.get("output"), error=d.get("error"), cause=d.get("cause"))
