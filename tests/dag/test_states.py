"""The engine's closed vocabularies are StrEnums whose values are the strings the metadata database
stores and Airflow writes, so a stored row, a test and a trace line all read the same word."""

from datetime import timedelta
from enum import StrEnum

from engines.clock import EPOCH, VirtualClock
from engines.dag import (
    DAG,
    TRIGGER_RULES,
    DagRunState,
    DagRunType,
    PythonOperator,
    Scheduler,
    SensorMode,
    TaskInstanceState,
    TriggerRule,
)
from engines.dag.states import ACTIVE, ALL_TI_STATES, FINISHED, TI
from engines.dag.trigger_rules import TriggerRuleDecision


def test_the_vocabularies_are_str_enums_with_airflows_strings():
    for enum in (TaskInstanceState, DagRunState, DagRunType, SensorMode, TriggerRule, TriggerRuleDecision):
        assert issubclass(enum, StrEnum)
    assert [s.value for s in ALL_TI_STATES] == [
        "none", "scheduled", "queued", "running", "success", "failed", "up_for_retry", "up_for_reschedule",
        "upstream_failed", "skipped", "removed", "deferred"]
    assert TI is TaskInstanceState and TI.UP_FOR_RETRY == "up_for_retry" and f"{TI.UP_FOR_RETRY}" == "up_for_retry"
    assert FINISHED == {"success", "failed", "skipped", "upstream_failed", "removed"}
    assert ACTIVE == {"queued", "running"}
    assert [s.value for s in DagRunState] == ["queued", "running", "success", "failed"]
    assert [t.value for t in DagRunType] == ["manual", "scheduled"]
    assert [m.value for m in SensorMode] == ["poke", "reschedule"]
    assert TRIGGER_RULES == tuple(TriggerRule) and "all_success" in TRIGGER_RULES and len(TRIGGER_RULES) == 13
    assert TriggerRuleDecision.SKIPPED == TI.SKIPPED and TriggerRuleDecision.UPSTREAM_FAILED == TI.UPSTREAM_FAILED


def test_a_task_keeps_its_trigger_rule_and_a_sensor_its_mode_as_enums():
    from engines.dag import PythonSensor

    with DAG("words"):
        t = PythonOperator("t", lambda: 1, trigger_rule="one_failed")
        w = PythonSensor("w", lambda: True, mode="reschedule")
    assert t.trigger_rule is TriggerRule.ONE_FAILED and w.mode is SensorMode.RESCHEDULE and w.reschedule


def test_states_read_back_from_the_metadata_database_are_the_enums(tmp_path):
    db = tmp_path / "airflow.db"

    def build():
        with DAG("stored") as dag:
            PythonOperator("done", lambda: 1)
            PythonOperator("later", lambda: 1, duration=timedelta(hours=1))
        return dag

    s1 = Scheduler([build()], clock=VirtualClock(EPOCH), db=db)
    run_id = s1.trigger_dag("stored").run_id
    s1.advance(timedelta(minutes=1))
    s1.close()
    s2 = Scheduler([build()], clock=VirtualClock(EPOCH), db=db)
    run = s2.dag_run(run_id)
    assert run.state is DagRunState.RUNNING and run.run_type is DagRunType.MANUAL
    assert run.tis["done"].state is TI.SUCCESS and run.tis["later"].state is TI.RUNNING
    s2.run_until_done(run_id)  # "later" lost its worker with the first scheduler; no retries left
    assert [(r["task_id"], r["state"]) for r in s2.grid(run_id)] == [("done", TI.SUCCESS), ("later", TI.FAILED)]
    assert run.state is DagRunState.FAILED
    s2.close()
