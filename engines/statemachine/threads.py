"""Execution threads: the top-level run, each Parallel branch, each Map iteration.

A thread says which state it is in, with what input and variables, what it waits for and until
when. The whole execution is checkpointed as its threads' JSON at every transition, so a new
process can pick it up: `Thread.to_json` / `Thread.from_json` keep the on-disk keys that the
first interpreter wrote (flat keys such as "phase", "due", "prefix", "children"), and
`from_json` reads checkpoints written by that interpreter as they are.

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
    """A Parallel's branches or a Map's iterations, and how many have come back."""

    children: list[str] = field(default_factory=list)  # thread ids, in start order
    results: list[Any] = field(default_factory=list)   # by branch/item index
    failures: int = 0
    done: int = 0
    total: int = 0
    map: MapItems | None = None                        # a Map's; None for a Parallel


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
    _final_entry: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == _ACTIVE

    def enter_state(self, entered: str) -> None:
        """A fresh start in the current state: no retries used, no token, nothing due."""
        self.entered, self.attempts, self.retry_count, self.token, self.due = entered, {}, 0, None, None
        self.task = self.fanout = None

    # ------------------------------------------------------------------ checkpoint form
    def to_json(self) -> dict[str, Any]:
        """The checkpoint form: the first interpreter's flat keys, optional groups only when used."""
        out: dict[str, Any] = {"id": self.id, "parent": self.parent, "slot": self.slot, "scope": self.scope,
                               "state": self.state, "input": self.input, "phase": self.phase, "status": self.status,
                               "due": self.due, "vars": self.vars, "item": self.item}
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
        if self.status != _ACTIVE:
            if self.status == ThreadStatus.DONE:
                out["output"] = self.output
            elif self.status == ThreadStatus.FAILED:
                out["error"] = self.error
                out["cause"] = self.cause
        return out

    def snapshot_entry(self) -> str:
        """`"<id>":<to_json()>` as JSON text, one member of the execution snapshot's "threads".

        A finished thread never changes again but stays in every snapshot until its parent
        joins (a 1,000-item Map would re-encode up to 1,000 of them per checkpoint), so its
        text is encoded once and reused.
        """
        if self._final_entry is not None:
            return self._final_entry
        entry = f'"{self.id}":{jsonio.dumps(self.to_json())}'  # ids are t1, t2, …: nothing to escape
        if self.status != _ACTIVE:
            self._final_entry = entry
        return entry

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
