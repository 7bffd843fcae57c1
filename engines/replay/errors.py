"""The errors of the replay engine, named as Temporal names them.

`WorkflowCanvasError` subclasses are things a user can fix (an unknown id, bad JSON, code that no
longer matches its history); the others travel inside workflow code as failures it can catch.
"""

from __future__ import annotations

from typing import Any

from engines.errors import WorkflowCanvasError


class ReplayError(WorkflowCanvasError):
    """Root of the replay engine's user-fixable errors."""


class WorkflowNotFoundError(ReplayError):
    """No workflow execution with that id (or run id) is stored."""


class WorkflowAlreadyStartedError(ReplayError):
    """A running execution already uses that workflow id."""


class WorkflowNotClosedError(ReplayError):
    """The result of an execution that is still open was asked for."""


class NotRegisteredError(ReplayError):
    """No workflow or activity of that name is known to this worker or client."""


class PayloadError(ReplayError):
    """Input or a result that cannot be stored as JSON (payloads must survive a restart)."""


class QueryError(ReplayError):
    """A query failed: unknown query name, or the handler tried to change the workflow."""


class NondeterminismError(ReplayError):
    """Replay of the code diverged from the recorded history (Temporal's TMPRL1100).

    The workflow task fails and the run stays open: fix (or gate with `patched`) the code and a
    new worker picks the run up again. Nothing recorded is lost.
    """

    def __init__(self, event_id: int | None, recorded: str, asked: str, workflow_id: str = "") -> None:
        self.event_id = event_id
        self.recorded = recorded
        self.asked = asked
        self.workflow_id = workflow_id
        where = f"event {event_id}" if event_id is not None else "the end of the recorded history"
        who = f"workflow {workflow_id}: " if workflow_id else ""
        super().__init__(
            f"{who}nondeterminism at {where}: history recorded {recorded}, the code asked for {asked}"
        )


class WorkflowTaskError(ReplayError):
    """Workflow code raised something that is not a workflow failure (a bug): the task fails and
    is retried by the next worker start, as Temporal does, instead of failing the run."""


class HistoryLimitError(ReplayError):
    """The history grew past the termination limit."""


class WorkerCrashed(Exception):
    """Raised out of an in-process worker that was told to crash (the process-mode worker exits)."""


# --- failures that travel inside workflow code ------------------------------------------------
class FailureError(Exception):
    """Base of failures workflow code may catch (Temporal's temporalio.exceptions.FailureError)."""

    def to_failure(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": str(self)}


class ApplicationError(FailureError):
    """An error raised on purpose by workflow or activity code. `non_retryable` stops retries."""

    def __init__(self, message: str, *, type: str | None = None, non_retryable: bool = False,
                 details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.type = type or "ApplicationError"
        self.non_retryable = non_retryable
        self.details = details
        self.cause_failure: dict[str, Any] | None = None  # a recorded failure's own cause, kept as recorded

    def to_failure(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "message": self.message, "non_retryable": self.non_retryable}
        if isinstance(self.cause_failure, dict):
            out["cause"] = self.cause_failure
        return out


class ActivityError(FailureError):
    """An activity failed for good (retries exhausted, non-retryable, or timed out)."""

    def __init__(self, activity_type: str, activity_id: str, cause: ApplicationError, *, timed_out: bool = False,
                 attempt: int = 0, scheduled_event_id: int = 0, started_event_id: int = 0, retry_state: str = "") -> None:
        kind = "timed out" if timed_out else "failed"
        super().__init__(f"activity {activity_type} ({activity_id}) {kind} after attempt {attempt}: "
                         f"{cause.type}: {cause.message}")
        self.activity_type = activity_type
        self.activity_id = activity_id
        self.cause = cause
        self.timed_out = timed_out
        self.attempt = attempt
        self.scheduled_event_id = scheduled_event_id
        self.started_event_id = started_event_id
        self.retry_state = retry_state

    def to_failure(self) -> dict[str, Any]:
        """The failure with its cause chain kept, as Temporal records it: the activity's own failure
        under `cause`, which activity under `activity_failure_info` (type and message on top, as before)."""
        return {"type": self.cause.type, "message": str(self), "non_retryable": self.cause.non_retryable,
                "cause": self.cause.to_failure(),
                "activity_failure_info": {"activity_type": self.activity_type, "activity_id": self.activity_id,
                                          "scheduled_event_id": self.scheduled_event_id,
                                          "started_event_id": self.started_event_id, "retry_state": self.retry_state}}


class ChildWorkflowError(FailureError):
    """A child workflow failed, was canceled or terminated; siblings are not affected."""

    def __init__(self, workflow_id: str, workflow_type: str, cause: ApplicationError) -> None:
        super().__init__(f"child workflow {workflow_id} ({workflow_type}) failed: {cause.type}: {cause.message}")
        self.workflow_id = workflow_id
        self.workflow_type = workflow_type
        self.cause = cause

    def to_failure(self) -> dict[str, Any]:
        return {"type": self.cause.type, "message": str(self), "cause": self.cause.to_failure()}


class ContinueAsNewError(BaseException):
    """Raised by `ctx.continue_as_new`; the driver turns it into the ContinueAsNew command."""

    def __init__(self, args: tuple) -> None:
        super().__init__("continue as new")
        self.args_ = args


def failure_from(data: dict[str, Any]) -> ApplicationError:
    """A recorded failure as the error workflow code catches; its cause chain travels with it."""
    err = ApplicationError(data.get("message", ""), type=data.get("type"), non_retryable=bool(data.get("non_retryable")))
    err.cause_failure = data.get("cause") if isinstance(data.get("cause"), dict) else None
    return err
