"""Errors of the DAG engine, named as Airflow names them.

Two families: definition errors a user fixes in a DAG file (a cycle, a duplicate task id, an
unknown trigger rule) derive from `WorkflowCanvasError`, so the CLI prints them as one line; the
exceptions task code raises at run time (`AirflowFailException`, `AirflowSkipException`…) steer
the scheduler exactly as in Airflow and are not user errors.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engines.errors import WorkflowCanvasError


class DagError(WorkflowCanvasError):
    """A DAG or a command about one is wrong; the message names the DAG, task or run."""


class AirflowDagCycleException(DagError):
    """The DAG file has a cycle; the message spells it out (a >> b >> a)."""


class DuplicateTaskIdFound(DagError):
    """Two tasks in one DAG share a task_id."""


class UnknownTriggerRule(DagError):
    """A trigger_rule that Airflow does not have."""


class DagNotFound(DagError):
    """No DAG with that dag_id was added to the scheduler."""


class DagRunNotFound(DagError):
    """No DAG run with that run_id (or no run at all yet)."""


class TaskNotFound(DagError):
    """No task with that task_id in the DAG (Airflow's TaskNotFound from `DAG.get_task`)."""


class XComError(DagError):
    """A task returned something that cannot be stored as XCom (not JSON, or too big)."""


# --- raised by task code (Airflow's control-flow exceptions) ------------------------------------
class AirflowException(Exception):
    """A task failed; retried if it has retries left."""


class AirflowFailException(AirflowException):
    """Fail now, never retry, whatever `retries` says (e.g. a declined card)."""


class AirflowSkipException(AirflowException):
    """Mark this task instance skipped."""


class AirflowSensorTimeout(AirflowException):
    """A sensor waited longer than its `timeout`. Never retried (Airflow's task_runner treats it as
    a terminal failure, like AirflowFailException)."""


class AirflowTaskTimeout(AirflowException):
    """A task ran longer than its `execution_timeout`. Retried like any other failure."""


class AirflowTaskTerminated(AirflowException):
    """The task's process was killed (mark-failed, dagrun_timeout). Never retried."""


class AirflowRescheduleException(AirflowException):
    """Give the worker slot back and run this try again at `reschedule_date` (state
    up_for_reschedule, a task_reschedule row), as a reschedule-mode sensor does between pokes.
    Any task may raise it; it is not a failure and uses up no retry."""

    def __init__(self, reschedule_date: datetime) -> None:
        super().__init__(f"reschedule at {reschedule_date}")
        self.reschedule_date = reschedule_date


class DownstreamTasksSkipped(AirflowException):
    """Raised by a branch or short-circuit task that succeeded: the scheduler skips `tasks` (task
    ids), except those already running or finished, then marks the raising task success
    (Airflow 3's airflow.sdk.exceptions.DownstreamTasksSkipped)."""

    def __init__(self, tasks: list[str], result: object = None) -> None:
        super().__init__(f"skip downstream tasks {tasks}")
        self.tasks = list(tasks)
        self.result = result


class TaskDeferred(AirflowException):
    """Raised by `BaseOperator.defer()`: the try gives its worker slot back and waits on `trigger`
    in the triggerer; it resumes in `method_name` when the trigger fires, or fails when `timeout`
    passes first."""

    def __init__(self, *, trigger: object, method_name: str, kwargs: dict | None = None,
                 timeout: timedelta | None = None) -> None:
        super().__init__(f"deferred to {trigger!r}, resuming in {method_name}")
        self.trigger = trigger
        self.method_name = method_name
        self.kwargs = dict(kwargs or {})
        self.timeout = timeout


class TaskDeferralTimeout(AirflowException):
    """A deferred try's trigger did not fire before its timeout (a sensor turns it into
    AirflowSensorTimeout)."""
