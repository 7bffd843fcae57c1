"""An Airflow-style DAG scheduler on the shared clock, named as Airflow names things.

    with DAG("nightly_etl", schedule="@daily", default_args={"retries": 3}) as dag:
        extract >> transform >> load

A good batch scheduler for short, stateless tasks with task-level retries; and, run on a
month-long order, it shows where a DAG breaks: a sensor idling a worker slot (or timing out at
its 7-day default), and a "cancel" that is only a state flip nobody running hears.
"""

from engines.dag.dag import DAG, BaseOperator
from engines.dag.dagrun import NO_ACTOR
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
    DuplicateTaskIdFound,
    TaskNotFound,
    UnknownTriggerRule,
)
from engines.dag.models import DagRun, TaskInstance
from engines.dag.operators import EmptyOperator, PythonOperator
from engines.dag.run_type import DagRunType
from engines.dag.scheduler import Scheduler
from engines.dag.sensors import BaseSensorOperator, PythonSensor, SensorMode, TimeDeltaSensor
from engines.dag.states import DagRunState, TaskInstanceState
from engines.dag.trigger_rules import TRIGGER_RULES, TriggerRule

__all__ = [
    "DAG", "BaseOperator", "EmptyOperator", "PythonOperator",
    "BaseSensorOperator", "PythonSensor", "TimeDeltaSensor", "SensorMode",
    "Scheduler", "DagRun", "TaskInstance", "DagRunState", "DagRunType", "TaskInstanceState", "TriggerRule",
    "TRIGGER_RULES", "NO_ACTOR",
    "AirflowDagCycleException", "AirflowException", "AirflowFailException", "AirflowRescheduleException",
    "AirflowSensorTimeout", "AirflowSkipException", "AirflowTaskTerminated", "AirflowTaskTimeout", "DagError",
    "DuplicateTaskIdFound", "TaskNotFound", "UnknownTriggerRule",
]
