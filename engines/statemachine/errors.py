"""Errors: the user-fixable kinds (a bad definition, an unknown execution) and ASL's runtime errors.

`StatesError` is not a Python failure of the engine: it is the `{"Error", "Cause"}` pair that
Step Functions passes to Retry and Catch. Matching follows the AWS rules: `States.ALL` matches
every error except `States.Runtime` (terminal, never caught), and `States.TaskFailed` matches
everything except `States.Timeout`. `States.DataLimitExceeded` is terminal where a *state's*
output is too large (the interpreter fails the thread without consulting Retry/Catch), but a
*task's* result over the quota is a task failure that Catch takes, States.ALL included: so AWS's
recorded histories show (LocalStack tests/aws/services/stepfunctions/v2/error_handling/
test_states_errors.snapshot.json, *_catch_state_all_data_limit_exceeded_*), whatever the
developer guide says.
"""

from __future__ import annotations

from engines.errors import WorkflowCanvasError

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT = "States.DataLimitExceeded"
NO_CHOICE = "States.NoChoiceMatched"
INTRINSIC = "States.IntrinsicFailure"
PARAMETER_PATH = "States.ParameterPathFailure"
RESULT_PATH = "States.ResultPathMatchFailure"
BRANCH_FAILED = "States.BranchFailed"
TOLERATED = "States.ExceedToleratedFailureThreshold"
QUERY_EVALUATION = "States.QueryEvaluationError"

#: Every predefined error name (for validating ErrorEquals).
PREDEFINED = frozenset({
    ALL, TASK_FAILED, TIMEOUT, HEARTBEAT_TIMEOUT, RUNTIME, DATA_LIMIT, NO_CHOICE, INTRINSIC, PARAMETER_PATH,
    RESULT_PATH, BRANCH_FAILED, TOLERATED, QUERY_EVALUATION, "States.Permissions", "States.ItemReaderFailed",
    "States.ResultWriterFailed",
})
#: Terminal errors: no Retry or Catch ever handles them, not even States.ALL.
TERMINAL = frozenset({RUNTIME})


class StatemachineError(WorkflowCanvasError):
    """Root of the state-machine engine's user-fixable errors."""


class DefinitionError(StatemachineError):
    """A definition is not valid ASL. `problems` lists every finding, each naming state and field."""

    def __init__(self, problems: list[str], source: str = "definition") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(head + "".join(f"\n  - {p}" for p in problems))


class ExecutionNotFound(StatemachineError):
    pass


class TaskTokenError(StatemachineError):
    """SendTask* with a token that is unknown, already answered or whose task is closed (AWS: TaskTimedOut/InvalidToken)."""


class ResourceNotFound(StatemachineError):
    pass


class StatesError(Exception):
    """An ASL runtime error: what Retry/Catch see as {"Error": name, "Cause": cause}."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


def error_matches(error_equals: list[str], error: str) -> bool:
    """Does a retrier's or catcher's ErrorEquals match this error name? (the AWS rules)"""
    if error in TERMINAL:
        return False
    for name in error_equals:
        if name == error or name == ALL:
            return True
        if name == TASK_FAILED and error != TIMEOUT:
            return True
    return False
