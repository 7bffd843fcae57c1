"""Errors of the DAG engine, named as Airflow names them.

Two families: definition errors a user fixes in a DAG file (a cycle, a duplicate task id, an
unknown trigger rule) derive from `WorkflowCanvasError`, so the CLI prints them as one line; the
exceptions task code raises at run time (`AirflowFailException`, `AirflowSkipException`…) steer
the scheduler exactly as in Airflow and are not user errors.
"""

from __future__ import annotations

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
    pass


class DagRunNotFound(DagError):
    pass


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
    """A reschedule-mode sensor gives its slot back until `reschedule_date`."""

    def __init__(self, reschedule_date) -> None:
        super().__init__(f"reschedule at {reschedule_date}")
        self.reschedule_date = reschedule_date
