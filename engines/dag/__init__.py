"""An Airflow-style DAG scheduler on the shared clock, named as Airflow names things.

    with DAG("nightly_etl", schedule="@daily", default_args={"retries": 3}) as dag:
        extract >> transform >> load

A good batch scheduler for short, stateless tasks with task-level retries; and, run on a
month-long order, it shows where a DAG breaks: a sensor idling a worker slot (or timing out at
its 7-day default), and a "cancel" that is only a state flip nobody running hears.

An Airflow 3 DAG file runs here with only its imports changed: everything it imports from
`airflow.sdk`, `airflow.exceptions`, `airflow.providers.standard.operators.*`,
`airflow.providers.standard.sensors.*` or `airflow.providers.standard.triggers.*` is imported
from `engines.dag` under the same name.
"""

from engines.dag.chain import chain, cross_downstream
from engines.dag.context import get_current_context
from engines.dag.dag import DAG, BaseOperator
from engines.dag.dagrun import NO_ACTOR
from engines.dag.decorators import dag, setup, task, teardown
from engines.dag.errors import (
    AirflowDagCycleException,
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
    DagError,
    DownstreamTasksSkipped,
    DuplicateTaskIdFound,
    TaskDeferralTimeout,
    TaskDeferred,
    TaskNotFound,
    UnknownTriggerRule,
)
from engines.dag.mapping import UnmappableXComTypePushed, XComForMappingNotPushed
from engines.dag.models import DagRun, TaskInstance
from engines.dag.operators import BranchPythonOperator, EmptyOperator, PythonOperator, ShortCircuitOperator
from engines.dag.relatives import WeightRule
from engines.dag.run_type import DagRunType
from engines.dag.scheduler import Scheduler
from engines.dag.sensors import BaseSensorOperator, DateTimeSensor, PythonSensor, SensorMode, TimeDeltaSensor
from engines.dag.states import DagRunState, TaskInstanceState
from engines.dag.taskgroup import TaskGroup
from engines.dag.trigger_rules import TRIGGER_RULES, TriggerRule
from engines.dag.triggers import DateTimeTrigger, TimeDeltaTrigger
from engines.dag.xcomarg import XComArg, XComNotFound

__all__ = [
    "DAG", "BaseOperator", "EmptyOperator", "PythonOperator", "BranchPythonOperator", "ShortCircuitOperator",
    "BaseSensorOperator", "PythonSensor", "TimeDeltaSensor", "DateTimeSensor", "SensorMode",
    "task", "dag", "setup", "teardown", "TaskGroup", "XComArg", "chain", "cross_downstream", "get_current_context",
    "DateTimeTrigger", "TimeDeltaTrigger", "WeightRule",
    "Scheduler", "DagRun", "TaskInstance", "DagRunState", "DagRunType", "TaskInstanceState", "TriggerRule",
    "TRIGGER_RULES", "NO_ACTOR",
    "AirflowDagCycleException", "AirflowException", "AirflowFailException", "AirflowRescheduleException",
    "AirflowSensorTimeout", "AirflowSkipException", "AirflowTaskTerminated", "AirflowTaskTimeout", "DagError",
    "DownstreamTasksSkipped", "DuplicateTaskIdFound", "TaskDeferralTimeout", "TaskDeferred", "TaskNotFound",
    "UnknownTriggerRule", "UnmappableXComTypePushed", "XComForMappingNotPushed", "XComNotFound",
]
