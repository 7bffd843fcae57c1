"""A thread's checkpoint form: the first interpreter's flat keys, read back into the same record."""

from engines.statemachine.history import TaskEventPrefix
from engines.statemachine.threads import FanOut, MapItems, PendingAnswer, Phase, TaskRun, Thread, ThreadStatus


def test_round_trip_keeps_every_field():
    th = Thread("t2", "t1", 3, "/M[map]", "Ask", {"x": 1}, Phase.CALLBACK, ThreadStatus.ACTIVE,
                "2026-01-01T00:00:20.000Z", {"v": 1}, {"Index": 3, "Value": 9}, "2026-01-01T00:00:00.000Z", {"0": 1}, 1,
                "ab" * 32, [2.0], 5.0, TaskRun(TaskEventPrefix.TASK, "2026-01-01T00:01:40.000Z", "2026-01-01T00:00:20.000Z",
                                               PendingAnswer({"late": 1}, None, "")),
                FanOut(["t3"], [None], 0, 0, 1, MapItems([0], ["a"], 2)))
    data = th.to_json()
    assert Thread.from_json(data) == th
    assert {"phase", "due", "prefix", "deadline", "hb_due", "pending", "children", "pending_items", "limit"} <= set(data)
    assert data["phase"] == "callback" and data["pending"] == {"value": {"late": 1}, "error": None, "cause": ""}


def test_a_fresh_thread_writes_only_what_it_has():
    th = Thread("t1", None, 0, "", "A", {})
    assert set(th.to_json()) == {"id", "parent", "slot", "scope", "state", "input", "phase", "status", "due", "vars",
                                 "item"}
    done = Thread("t1", None, 0, "", "A", {}, status=ThreadStatus.DONE, output=[1])
    assert done.to_json()["output"] == [1] and Thread.from_json(done.to_json()) == done
    parallel = Thread("t1", None, 0, "", "P", {}, phase=Phase.JOIN, fanout=FanOut(["t2"], [None], total=1))
    assert "pending_items" not in parallel.to_json() and Thread.from_json(parallel.to_json()) == parallel
