"""A thread's checkpoint form: the first interpreter's flat keys, read back into the same record."""

import json

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


def test_the_row_form_keeps_a_joining_map_small_and_its_children_give_back_what_it_counts():
    """body() has no input, results or children; from_row + adopt() of the children's rows restore them."""
    parent = Thread("t1", None, 0, "", "M", {"xs": list(range(5))}, Phase.JOIN,
                    fanout=FanOut(["t2", "t3", "t4"], [{"ok": 0}, {"Error": "E", "Cause": "c"}, None, None, None], 1, 2,
                                  5, MapItems([3, 4], list(range(5)), 3)))
    body = parent.body()
    assert {"input", "vars", "item", "children", "results", "done", "failures", "pending_items"}.isdisjoint(body)
    assert body["total"] == 5 and body["limit"] == 3
    done = Thread("t2", "t1", 0, "/M[map]", "P", None, status=ThreadStatus.DONE, output={"ok": 0})
    failed = Thread("t3", "t1", 1, "/M[map]", "P", None, status=ThreadStatus.FAILED, error="E", cause="c")
    live = Thread("t4", "t1", 2, "/M[map]", "W", 2, Phase.WAIT, item={"Index": 2, "Value": 2})
    back = Thread.from_row(body, json.loads(parent.data_json()))
    assert back.fanout is not None and back.fanout.children == [] and back.fanout.done == 0
    for child in (done, failed, Thread.from_row(live.body(), json.loads(live.data_json()))):
        back.fanout.adopt(child)
    back.fanout.map.pending_items = [3, 4]  # what Execution.from_row derives: the items after those started
    assert back == parent
    assert Thread.from_row(live.body(), json.loads(live.data_json())) == live


def test_data_json_is_encoded_again_only_when_an_object_is_replaced():
    th = Thread("t1", None, 0, "", "A", {"x": 1})
    first = th.data_json()
    assert th.data_json() is first
    th.input = {"x": 2}
    assert th.data_json() != first and json.loads(th.data_json())["input"] == {"x": 2}
