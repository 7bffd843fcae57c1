"""The StrEnums are the exact strings Step Functions (and the stored rows) use, and iso() is thread-safe."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from engines.clock import EPOCH
from engines.statemachine import ExecutionStatus, HistoryEventType, QueryLanguage, StateType
from engines.statemachine.models import STATE_TYPES
from engines.statemachine.timestamps import iso, parse_iso
from tests.statemachine import checkpoint_scenarios as cs
from tests.statemachine.helpers import run


def test_values_are_the_asl_and_api_strings():
    assert [s.value for s in StateType] == ["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"]
    assert STATE_TYPES == tuple(StateType)
    assert [q.value for q in QueryLanguage] == ["JSONPath", "JSONata"]
    assert {s.value for s in ExecutionStatus} == {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
    assert StateType.TASK == "Task" and ExecutionStatus.RUNNING == "RUNNING"


def test_event_names_built_from_state_types_and_task_prefixes():
    assert HistoryEventType.of_state(StateType.MAP, "Exited") is HistoryEventType.MAP_STATE_EXITED
    assert HistoryEventType.of_task("LambdaFunction", "TimedOut") is HistoryEventType.LAMBDA_FUNCTION_TIMED_OUT
    with pytest.raises(ValueError):
        HistoryEventType.of_state(StateType.FAIL, "Exited")  # AWS has no FailStateExited
    assert HistoryEventType.MAP_ITERATION_ABORTED.is_warning and not HistoryEventType.TASK_SUBMITTED.is_warning


def test_history_rows_read_back_as_history_event_types():
    r = run(cs.SCENARIOS["parallel"]["definition"], {}, cs.resources(), until_idle=False)
    history = r.engine.get_execution_history(r.arn)
    assert all(isinstance(e.type, HistoryEventType) for e in history)
    assert history[0].to_json()["type"] == "ExecutionStarted" and type(history[0].to_json()["type"]) is str


def test_iso_gives_each_thread_its_own_answer():
    times = [EPOCH + timedelta(milliseconds=7 * i) for i in range(2000)]
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(iso, times * 3))
    assert [parse_iso(t) for t in texts] == times * 3
