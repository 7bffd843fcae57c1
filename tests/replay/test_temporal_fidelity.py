"""The engine against real Temporal: histories recorded on a Temporal 1.32 dev server with
temporalio 1.35 (tests/replay/real_histories/, made by tools/temporal/record.py) replay here with
the engine's ORDER #1001 code, and the engine writes what Temporal writes where issue 18 found it
did not (buffered inputs, SDK flags, the patch marker, WorkflowTaskFailed, lastFailure, the cause chain)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.replay import Client, EventType, NondeterminismError, Server, Worker
from engines.replay.history import COMMAND_EVENTS, INPUT_EVENTS, HistoryEvent
from engines.replay.replayer import Replayer
from engines.replay.temporal_history import SKIPPED_TYPES, from_temporal_json, to_temporal_json
from workloads.order_1001 import replay as order_replay
from workloads.order_1001.order import CANCEL_SIGNAL, ORDER, WORKFLOW_ID
from workloads.order_1001.replay import WORKFLOWS, OrderActivities, order_workflow_v2, ticker_workflow
from workloads.services import Services

REAL = Path(__file__).parent / "real_histories"
NAMES = ("happy", "cancel", "sick-payment", "declined", "signal-during-task", "deploy-v2")


def real(name: str) -> dict:
    return json.loads((REAL / f"{name}.json").read_text(encoding="utf-8"))


def types(events: list[HistoryEvent]) -> list[str]:
    return [str(e.event_type) for e in events]


def real_types(name: str) -> list[str]:
    return types(from_temporal_json(real(name), name).events)


def engine_run(scenario: str, workflow_id: str = WORKFLOW_ID, **options: object) -> list[HistoryEvent]:
    """The history of one ORDER #1001 scenario run on the engine."""
    seen: dict[str, list[HistoryEvent]] = {}
    original = order_replay._collect

    def collect(s, sc, obs):  # read the history before the in-memory store goes
        seen["events"] = s.client.history(workflow_id)
        return original(s, sc, obs)

    order_replay._collect = collect
    try:
        order_replay.run(scenario, **options)  # type: ignore[arg-type]
    finally:
        order_replay._collect = original
    return seen["events"]


def assert_no_input_inside_a_task(events: list[HistoryEvent]) -> None:
    """Temporal's order: nothing from outside the code between a WorkflowTaskStarted and its end."""
    inside = False
    for e in events:
        if e.event_type == EventType.WORKFLOW_TASK_STARTED:
            inside = True
        elif e.event_type in (EventType.WORKFLOW_TASK_COMPLETED, EventType.WORKFLOW_TASK_FAILED,
                              EventType.WORKFLOW_TASK_TIMED_OUT):
            inside = False
        elif inside and (e.event_type in INPUT_EVENTS or e.event_type == EventType.ACTIVITY_TASK_STARTED):
            raise AssertionError(f"event {e.event_id} ({e.event_type}) was written inside a workflow task")


# --- real Temporal histories replay here -----------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_real_histories_replay_with_the_engines_order_workflow(name):
    history = from_temporal_json(real(name), name)
    code = [order_workflow_v2] if name == "deploy-v2" else WORKFLOWS
    result = Replayer(code).replay_workflow(history)
    assert result.closed and result.matched_commands >= 2
    assert_no_input_inside_a_task(history.events)


def test_real_order_1002_history_needs_the_gated_code():
    """v1 code on v2's history: the core_patch marker is where it diverges, and the message says so."""
    with pytest.raises(NondeterminismError, match=r"event 11: history recorded MarkerRecorded\(core_patch fraud-check\)"):
        Replayer(WORKFLOWS).replay_workflow(from_temporal_json(real("deploy-v2"), "deploy-v2"))


def test_changing_an_activity_id_is_caught_when_the_history_recorded_the_sdk_flag():
    data = real("happy")
    scheduled = next(e for e in data["events"] if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED")
    scheduled["activityTaskScheduledEventAttributes"]["activityId"] = "charge-v0"  # the code says "charge"
    with pytest.raises(NondeterminismError, match="activity_id 'charge-v0'.*activity_id 'charge'"):
        Replayer(WORKFLOWS).replay_workflow(from_temporal_json(data, "happy"))
    for e in data["events"]:  # without the flags Temporal checks types only, and so does the engine
        e.get("workflowTaskCompletedEventAttributes", {}).pop("sdkMetadata", None)
    assert Replayer(WORKFLOWS).replay_workflow(from_temporal_json(data, "happy")).closed


# --- the engine writes what Temporal writes ------------------------------------------------------------
@pytest.mark.parametrize("scenario,name", [("happy", "happy"), ("sick-payment", "sick-payment"), ("declined", "declined")])
def test_engine_history_has_the_real_servers_event_sequence(scenario, name):
    assert types(engine_run(scenario)) == real_types(name)


def test_version_marker_and_change_version_upsert_as_temporal_writes_them():
    events = engine_run("deploy-v2", workflow_id="order-1002")
    assert types(events) == real_types("deploy-v2")
    marker = next(e for e in events if e.event_type == EventType.MARKER_RECORDED)
    upsert = events[events.index(marker) + 1]
    assert marker.attributes == {"marker_name": "core_patch", "details": {"id": "fraud-check", "deprecated": False}}
    assert upsert.attributes == {"search_attributes": {"TemporalChangeVersion": ["fraud-check"]}}


def test_the_engines_old_version_marker_still_replays():
    events = engine_run("deploy-v2", workflow_id="order-1002")
    old = []
    for e in events:  # the marker as this engine wrote it before, and no upsert after it
        if e.event_type == EventType.MARKER_RECORDED:
            old.append(HistoryEvent(e.event_id, e.ts, e.event_type,
                                    {"marker_name": "Version", "details": {"patch_id": "fraud-check"}}))
        elif e.event_type != EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            old.append(e)
    assert Replayer([order_workflow_v2]).replay_workflow(old, workflow_id="order-1002").closed


def test_sdk_flags_are_recorded_once_on_the_first_completed_task():
    completed = [e for e in engine_run("happy") if e.event_type == EventType.WORKFLOW_TASK_COMPLETED]
    assert completed[0].attributes["sdk_metadata"] == {"core_used_flags": [1, 2]}
    assert all("sdk_metadata" not in e.attributes for e in completed[1:])


def test_a_retried_activity_records_its_attempt_and_the_previous_failure():
    started = next(e for e in engine_run("sick-payment") if e.event_type == EventType.ACTIVITY_TASK_STARTED)
    want = next(e for e in from_temporal_json(real("sick-payment"), "s").events if e.event_type == EventType.ACTIVITY_TASK_STARTED)
    assert started.attributes["attempt"] == want.attributes["attempt"] == 4
    assert started.attributes["last_failure"]["type"] == want.attributes["last_failure"]["type"] == "ServiceUnavailable"


def test_workflow_failure_keeps_the_cause_chain():
    failed = engine_run("declined")[-1]
    f = failed.attributes["failure"]
    assert f["type"] == "CardDeclined" and f["cause"]["type"] == "CardDeclined" and f["cause"]["non_retryable"]
    assert f["activity_failure_info"]["activity_type"] == "ChargeCard"
    assert f["activity_failure_info"]["retry_state"] == "NonRetryableFailure"
    ours = to_temporal_json([failed], workflow_id=WORKFLOW_ID, run_id="r")["events"][0]
    theirs = real("declined")["events"][-1]
    key = "workflowExecutionFailedEventAttributes"
    assert ours[key]["failure"].keys() - {"message"} == theirs[key]["failure"].keys() - {"message", "stackTrace"}
    assert ours[key]["failure"]["cause"]["applicationFailureInfo"] == theirs[key]["failure"]["cause"]["applicationFailureInfo"]


def test_workflow_task_failed_names_its_task_and_failure():
    events = engine_run("deploy-v2", gate=False)  # v2 without its gate replays #1001's v1 history
    failed = next(e for e in events if e.event_type == EventType.WORKFLOW_TASK_FAILED)
    started = events[failed.event_id - 2]
    assert started.event_type == EventType.WORKFLOW_TASK_STARTED
    assert failed.attributes["started_event_id"] == started.event_id
    assert failed.attributes["scheduled_event_id"] == started.attributes["scheduled_event_id"]
    assert failed.attributes["cause"] == "NonDeterministicError"
    assert failed.attributes["failure"]["type"] == "NondeterminismError"
    assert "nondeterminism at event" in failed.attributes["failure"]["message"]


# --- inputs that arrive while a worker holds the workflow task ------------------------------------------
def _engine():
    clock = VirtualClock(EPOCH)
    server = Server(":memory:", clock)
    client = Client(server, WORKFLOWS)
    return server, client, OrderActivities(Services(server.store, clock)).all()


def test_a_signal_during_a_workflow_task_is_written_after_its_completion():
    server, client, activities = _engine()
    client.start("order", ORDER, id=WORKFLOW_ID)
    sent: list[int | None] = []

    def signal_once(point: str) -> None:
        if point.startswith("workflow-task-started") and not sent:
            sent.append(client.signal(WORKFLOW_ID, CANCEL_SIGNAL))

    Worker(server, workflows=WORKFLOWS, activities=activities, skip_time=True, on_point=signal_once).run()
    events = client.history(WORKFLOW_ID)
    assert sent == [None]  # buffered: no event id yet
    assert_no_input_inside_a_task(events)
    assert types(events)[:6] == real_types("signal-during-task")[:6]  # ... Completed, Scheduled, Signaled
    signaled = events[5]
    assert signaled.event_type == EventType.WORKFLOW_EXECUTION_SIGNALED and signaled.ts <= events[3].ts
    assert client.describe(WORKFLOW_ID).result["status"] == "cancelled"


def test_a_cancel_request_during_the_closing_task_is_not_lost():
    """The task that would complete the run saw no cancel request: Temporal refuses the completion
    (UnhandledCommand), writes the request, and the code runs again with it."""
    server, client, activities = _engine()
    client.start(ticker_workflow, 0, id="t")  # completes in its first task
    fired: list[bool] = []

    def cancel_once(point: str) -> None:
        if point.startswith("workflow-task-started") and not fired:
            fired.append(True)
            client.cancel("t")

    Worker(server, workflows=WORKFLOWS, activities=activities, on_point=cancel_once).run()
    events = client.history("t")
    assert types(events) == ["WorkflowExecutionStarted", "WorkflowTaskScheduled", "WorkflowTaskStarted",
                             "WorkflowTaskFailed", "WorkflowExecutionCancelRequested", "WorkflowTaskScheduled",
                             "WorkflowTaskStarted", "WorkflowTaskCompleted", "WorkflowExecutionCanceled"]
    assert events[3].attributes["cause"] == "UnhandledCommand"  # the request reached the code: it is canceled


def test_an_activity_result_during_a_workflow_task_is_buffered_with_its_started_event():
    server, client, activities = _engine()
    client.start("order", ORDER, id=WORKFLOW_ID)
    worker = Worker(server, workflows=WORKFLOWS, activities=activities, skip_time=True)
    assert worker.run_workflow_task()  # ChargeCard scheduled
    activity = server.claim_activity_task("default", "other-worker", ["ChargeCard"])
    client.signal(WORKFLOW_ID, "nudge")  # wakes the run: a workflow task to hold
    held = server.claim_workflow_task("default", "holder", ["order"])
    assert activity is not None and held is not None
    server.complete_activity(activity, {"id": "charge-1"})  # arrives while "holder" runs the task
    server.complete_workflow_task(held, [])
    events = client.history(WORKFLOW_ID)
    assert_no_input_inside_a_task(events)
    started, completed = events[-3], events[-2]
    assert (started.event_type, completed.event_type) == (EventType.ACTIVITY_TASK_STARTED, EventType.ACTIVITY_TASK_COMPLETED)
    assert completed.attributes["started_event_id"] == started.event_id
    assert events[-4].event_type == EventType.WORKFLOW_TASK_COMPLETED and events[-1].event_type == EventType.WORKFLOW_TASK_SCHEDULED


# --- Temporal's JSON out and in ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_temporal_json_round_trips(name):
    history = from_temporal_json(real(name), name)
    again = from_temporal_json(to_temporal_json(history.events, workflow_id=history.workflow_id, run_id=history.run_id), "x")
    assert [(e.event_id, e.event_type, e.attributes) for e in again.events] == \
           [(e.event_id, e.event_type, e.attributes) for e in history.events]


def test_server_only_events_are_skipped_and_others_refused():
    data = real("happy")
    assert any(e["eventType"].removeprefix("EVENT_TYPE_") == "WORKFLOW_EXECUTION_TIME_SKIPPING_TRANSITIONED"
               for e in data["events"]) and "WorkflowExecutionTimeSkippingTransitioned" in SKIPPED_TYPES
    bad = copy.deepcopy(data)
    bad["events"][4]["eventType"] = "EVENT_TYPE_NEXUS_OPERATION_SCHEDULED"
    with pytest.raises(Exception, match="event 5: event type EVENT_TYPE_NEXUS_OPERATION_SCHEDULED is not one"):
        from_temporal_json(bad, "h.json")
    bad = copy.deepcopy(data)
    bad["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]["metadata"]["encoding"] = "YmluYXJ5L3Byb3RvYnVm"
    with pytest.raises(Exception, match=r"h.json: event 1 \(WorkflowExecutionStarted\): input.payloads\[0\]: payload encoding 'binary/protobuf'"):
        from_temporal_json(bad, "h.json")
    with pytest.raises(Exception, match="not a Temporal history"):
        from_temporal_json({"history": []}, "h.json")


def test_exported_history_loads_in_temporalio():
    temporalio = pytest.importorskip("temporalio.client", reason="temporalio is not installed (the lead decides about "
                                     "the test extra); tools/temporal/replay_engine_histories.py runs it in its own venv")
    events = engine_run("happy")
    data = to_temporal_json(events, workflow_id=WORKFLOW_ID, run_id="r")
    history = temporalio.WorkflowHistory.from_json(WORKFLOW_ID, data)
    assert len(history.events) == len(events)


def test_cli_show_format_temporal_and_replay_a_real_history(tmp_path, capsys):
    from app.cli.main import main

    db = str(tmp_path / "r.db")
    assert main(["replay", "start", "order", "--id", "o", "--db", db]) == 0
    assert main(["replay", "worker", "--db", db, "--skip-time", "--until-idle", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["replay", "show", "o", "--format", "temporal", "--db", db]) == 0
    out = tmp_path / "o.json"
    out.write_text(capsys.readouterr().out, encoding="utf-8")
    assert json.loads(out.read_text())["events"][-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    assert main(["replay", "replay", str(out), "--format", "temporal"]) == 0
    assert main(["replay", "replay", str(REAL / "deploy-v2.json"), "--format", "temporal", "--version", "v2"]) == 0
    assert "no nondeterminism" in capsys.readouterr().out
    assert main(["replay", "replay", str(REAL / "deploy-v2.json"), "--format", "temporal"]) == 1
    assert main(["replay", "replay", str(out)]) == 1  # Temporal's JSON without --format temporal
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "core_patch fraud-check" in err[0] and "--format temporal" in err[1]


def test_command_events_include_the_upsert():
    assert EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES in COMMAND_EVENTS


# --- a failed workflow task is retried at once, as Temporal's transient task -------------------------------
def test_after_a_nondeterminism_error_the_task_is_retried_at_once_without_new_events():
    from workloads.order_1001.replay import order_workflow_v2_ungated

    server, client, activities = _engine()
    client.start("order", ORDER, id=WORKFLOW_ID)
    old = Worker(server, workflows=WORKFLOWS, activities=activities, skip_time=True)
    old.run(until=EPOCH.replace(day=11))
    old.stop()
    broken = Worker(server, workflows=[order_workflow_v2_ungated], activities=activities, skip_time=True)
    broken.run()
    events = client.history(WORKFLOW_ID)
    assert broken.stats.failed_workflow_tasks == 2  # attempt 1 and its immediate retry, attempt 2
    assert types(events).count("WorkflowTaskFailed") == 1 and events[-1].event_type == EventType.WORKFLOW_TASK_FAILED
    assert client.describe(WORKFLOW_ID).stuck
    broken.stop()
    fixed = Worker(server, workflows=[order_workflow_v2], activities=activities, skip_time=True)
    fixed.run()  # the retry, attempt 3, completes: only now are its Scheduled and Started stored
    after = client.history(WORKFLOW_ID)[len(events):]
    assert types(after)[:3] == ["WorkflowTaskScheduled", "WorkflowTaskStarted", "WorkflowTaskCompleted"]
    assert after[0].attributes["attempt"] == 3 and after[1].attributes["scheduled_event_id"] == after[0].event_id
    d = client.describe(WORKFLOW_ID)
    assert d.status == "Completed" and not d.stuck


# --- bad input on the CLI (issue 17) ----------------------------------------------------------------------
def test_query_with_arguments_its_handler_does_not_take_is_one_line(tmp_path, capsys):
    from app.cli.main import main

    db = str(tmp_path / "r.db")
    main(["replay", "start", "order", "--id", "o", "--db", db])
    main(["replay", "worker", "--db", db, "--skip-time", "--until-idle", "--max-tasks", "4", "--quiet"])
    capsys.readouterr()
    assert main(["replay", "query", "o", "getOrderStatus", "--args", "[1, 2]", "--db", db]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "query 'getOrderStatus'" in err[0] and "2 argument(s)" in err[0]


@pytest.mark.parametrize("command", [["start", "order", "--id", "o2"], ["worker", "--until-idle", "--quiet"]])
def test_a_database_locked_by_another_process_is_a_bounded_one_line_error(tmp_path, command):
    import subprocess
    import sys

    db = tmp_path / "r.db"
    from app.cli.main import main

    assert main(["replay", "start", "order", "--id", "o", "--db", str(db)]) == 0

    def stored() -> list[tuple]:
        server = Server(str(db))
        try:
            return [(r.workflow_id, r.history_length) for r in server.list_executions()]
        finally:
            server.close()

    before = stored()
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys, time\n"
                               f"c = sqlite3.connect({str(db)!r}, isolation_level=None); c.execute('BEGIN EXCLUSIVE')\n"
                               "print('locked', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        out = subprocess.run([sys.executable, "-m", "app.cli.main", "replay", *command, "--db", str(db),
                              "--lock-timeout", "0.3"], capture_output=True, text=True, timeout=60)
    finally:
        holder.communicate("")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "another process holds a lock" in lines[0] and "nothing was written" in lines[0]
    assert stored() == before == [("o", 2)]  # nothing was written: no run, no event


def test_a_timer_firing_during_a_workflow_task_is_written_after_its_completion():
    server, client, activities = _engine()
    client.start(ticker_workflow, 1, 0, False, 5.0, id="t")  # a 5 s timer: it fires within the task's 10 s lease
    assert Worker(server, workflows=WORKFLOWS, activities=activities).run_workflow_task()  # TimerStarted
    client.signal("t", "nudge")
    held = server.claim_workflow_task("default", "holder", ["ticker"])
    assert held is not None
    server.advance_to(server.now() + timedelta(seconds=5))
    assert server.fire_due_timers() == 1  # fires while "holder" runs the task
    server.complete_workflow_task(held, [])
    events = client.history("t")
    assert types(events)[-3:] == ["WorkflowTaskCompleted", "TimerFired", "WorkflowTaskScheduled"]
    assert_no_input_inside_a_task(events)
