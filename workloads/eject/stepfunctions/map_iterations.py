"""An inline Map's history, iteration by iteration: the comparison that holds under concurrency.

Step Functions runs an inline Map's iterations at once (up to MaxConcurrency), so their events
interleave in GetExecutionHistory in whatever order the iterations' threads reach them; each
event's `previousEventId` names the event before it in the same iteration (a MapIterationStarted
names MapStateStarted). The state-machine engine runs its iterations one after another and
numbers previousEventId in sequence. What both say the same way is each iteration's own events
in order, and the events outside the Map in order, and how many events of each kind the iterations
wrote: `real_iterations` groups a real history by its previousEventId chains (the engine's
history cannot be grouped so: its chain is its sequence), `outside_and_inside_maps` splits
either engine's event types at the Map.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

MAIN = "execution"
_MAP_ENDS = ("MapStateSucceeded", "MapStateFailed", "MapStateAborted")
_ITERATION_EVENTS = ("MapIterationStarted", "MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted")


def _key(state: Any, index: Any) -> str:
    return f"{state}[{index}]"


def real_iterations(events: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """GetExecutionHistory's events by the Map iteration each belongs to (`MakeThumbnails[3]`),
    found by following previousEventId back to its MapIterationStarted; the rest under MAIN."""
    by_id = {int(e["id"]): e for e in events}
    owner: dict[int, str] = {}

    def owner_of(event_id: int) -> str:
        chain: list[int] = []
        found = MAIN
        while event_id in by_id and event_id not in owner:
            e = by_id[event_id]
            if e["type"] in _ITERATION_EVENTS:
                detail = next((v for k, v in e.items() if k.startswith("mapIteration") and isinstance(v, dict)), {})
                found = _key(detail.get("name"), detail.get("index"))
                break
            if e["type"].startswith("MapState") or e["type"] == "ExecutionStarted":
                break
            chain.append(event_id)
            event_id = int(e.get("previousEventId") or 0)
        else:
            found = owner.get(event_id, MAIN)
        for i in chain:
            owner[i] = found
        return found

    out: dict[str, list[str]] = {}
    for e in sorted(events, key=lambda e: int(e["id"])):
        out.setdefault(owner_of(int(e["id"])), []).append(str(e["type"]))
    return out


def outside_and_inside_maps(types: Sequence[str]) -> tuple[list[str], Counter[str]]:
    """Either engine's event types split at its inline Maps: the events outside every Map, in
    order (those the Map waits for before it ends, so their order is the same on both), and how
    many of each type the iterations wrote (their order is the threads' on Step Functions)."""
    outside: list[str] = []
    inside: Counter[str] = Counter()
    depth = 0
    for kind in types:
        if kind in _MAP_ENDS:
            depth -= 1
        (inside.update((kind,)) if depth else outside.append(kind))
        if kind == "MapStateStarted":
            depth += 1
    return outside, inside


def lambda_attempts(events: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """LambdaFunctionScheduled events per Map iteration of a real history: how many attempts
    each item took (a Retry schedules the function again inside the same iteration)."""
    return {key: kinds.count("LambdaFunctionScheduled") for key, kinds in real_iterations(events).items()
            if key != MAIN}
