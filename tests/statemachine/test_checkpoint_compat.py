"""Checkpoints written by the first interpreter (dict threads) still resume, and today's look the same.

checkpoints_v1.json was written once by that interpreter (see checkpoint_scenarios.py): for each
execution stopped mid-flight, its SQLite rows, and what that interpreter went on to write after a
restart. Today's engine must resume those rows to exactly the same history and outcome, and must
itself write the same rows (history, and the same snapshot keys and values) up to the stop.
The old rows reach today's engine as they would in a file an old version wrote: in a schema-1
database that the engine migrates when it opens it. Since schema 2 the threads are rows of
their own and a joining parent's finished children are folded into its results: the rows,
read back into the one-document form, must equal the old document with those children folded
(`checkpoint_scenarios.folded`), key for key.
"""

import json
from pathlib import Path

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine
from tests.statemachine import checkpoint_scenarios as cs

FIXTURE = json.loads((Path(__file__).with_name("checkpoints_v1.json")).read_text())
#: Keys the first interpreter left behind from an earlier state (e.g. a Task's "prefix" on a thread now
#: in a Wait) or wrote as null where absent means the same; today's threads drop them.
STALE = {"prefix", "deadline", "hb_due", "pending", "children", "results", "failures", "done", "total",
         "pending_items", "items", "limit"}


def _last_event(rows: dict) -> int:
    return max(r["id"] for r in rows["tables"]["sfn_history"])


@pytest.mark.parametrize("key", sorted(FIXTURE))
def test_an_old_checkpoint_resumes_to_the_same_history_and_outcome(key):
    case = FIXTURE[key]
    engine = Engine(cs.old_store(case["rows"]), VirtualClock(EPOCH), cs.resources())  # migrated to schema 2
    assert engine.resume() == [cs.ARN]
    cs.drive(engine, cs.ARN)
    got = cs.outcome(engine, cs.ARN)
    last = _last_event(case["rows"])
    assert got["describe"] == case["expected"]["describe"]
    assert [h for h in got["history"] if h["id"] > last] == case["expected"]["history"]


@pytest.mark.parametrize("key", sorted(FIXTURE))
def test_todays_checkpoint_at_the_same_moment_matches_the_old_one(key):
    case = FIXTURE[key]
    engine = Engine(":memory:", VirtualClock(EPOCH), cs.resources())
    cs.start(engine, cs.SCENARIOS[case["scenario"]])
    engine.run_until_idle(until=cs.stop_at(case["stop_s"]))
    new, old = cs.dump_rows(engine), case["rows"]
    assert new["clock"] == old["clock"]
    for table in ("sfn_state_machines", "sfn_history", "sfn_tokens"):
        assert [cs.mask_row(r) for r in new["tables"][table]] == [cs.mask_row(r) for r in old["tables"][table]], table
    [new_ex], [old_ex] = new["tables"]["sfn_executions"], old["tables"]["sfn_executions"]
    # schema 2: `runtime` and `next_event` left sfn_executions for sfn_progress and the thread rows
    assert new_ex == {k: v for k, v in old_ex.items() if k not in ("runtime", "next_event")}
    old_doc = json.loads(old_ex["runtime"])
    assert engine.tables.progress(cs.ARN) == (old_doc["seq"], old_doc["deadline"], old_ex["next_event"])
    new_rt, old_rt = cs.stored_snapshot(engine, cs.ARN), cs.folded(old_doc)
    assert (new_rt["seq"], new_rt["deadline"]) == (old_rt["seq"], old_rt["deadline"])
    assert list(new_rt["threads"]) == list(old_rt["threads"])
    for tid, th in new_rt["threads"].items():
        before = old_rt["threads"][tid]
        assert {k: cs.mask(v) for k, v in th.items()} == {k: cs.mask(before[k]) for k in th}, tid
        assert set(before) - set(th) <= STALE, tid
