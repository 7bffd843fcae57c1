"""Step Functions calling itself: the `arn:aws:states:::states:startExecution` service integration.

"Step Functions can start these workflow executions by calling its own API as an integrated
service" (concepts-nested-workflows.html): a Task state whose Resource is
`arn:aws:states:::states:startExecution` takes the StartExecution parameters (StateMachineArn,
Input, Name) and, in the request-response pattern, succeeds as soon as the new execution has
started, with StartExecution's answer `{"ExecutionArn", "StartDate"}` as its result. It is how a
long-running loop hands its work to a fresh execution of itself before the 25,000-event history
quota or the one-year maximum duration of a Standard workflow (bp-history-limit.html).

Only request-response is here: `.sync` / `.sync:2` (wait for the child to finish) and
`.waitForTaskToken` fail the task with States.Runtime naming the pattern. StartExecution's own
errors come back as `StepFunctions.<API error>` (the developer guide's example retries
`StepFunctions.ExecutionLimitExceeded`); like the API, a name already used by a *running*
execution with the same input is not an error (StartExecution is idempotent then), so a task
re-run after a crash starts nothing twice.

A callable bound to the same name or ARN in `Resources` wins over this one, as every binding does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from engines.statemachine.errors import RUNTIME
from engines.statemachine.execution import ExecutionStatus, execution_arn
from engines.statemachine.resources import (
    IntegrationKind, IntegrationPattern, ResourceRef, Resources, TaskContext, TaskFailed, TaskFn,
)

#: The service:api name `parse_resource` gives the integration.
START_EXECUTION = "states:startExecution"
_MACHINE_ARN = re.compile(r"^arn:aws[\w-]*:states:[^:]*:[^:]*:stateMachine:([^:]+)(?::[^:]+)?$")


def resolve(resources: Resources, ref: ResourceRef) -> TaskFn:
    """The callable behind a Task's Resource: the user's binding, else this integration for
    `states:startExecution`, else whatever `Resources.resolve` finds (or its not-found error)."""
    bound = ref.arn in resources.handlers or ref.name in resources.handlers
    if not bound and ref.kind == IntegrationKind.SERVICE and ref.name == START_EXECUTION:
        return start_execution
    return resources.resolve(ref)


def _fail(api_error: str, message: str) -> TaskFailed:
    return TaskFailed(f"StepFunctions.{api_error}", message)


def start_execution(parameters: Any, ctx: TaskContext) -> dict[str, Any]:
    """StartExecution from a Task state: start the execution, answer with its ARN and start date."""
    where = f"state {ctx.state!r}"
    if ctx.ref.pattern != IntegrationPattern.REQUEST_RESPONSE:
        raise TaskFailed(RUNTIME, f"{where}: {ctx.ref.arn} uses the {ctx.ref.pattern} pattern; this engine runs "
                         f"{START_EXECUTION} as request-response only (no .sync, no .waitForTaskToken)")
    if not isinstance(parameters, dict):
        raise _fail("ValidationException", f"{where}: Parameters must be an object with StateMachineArn, "
                    f"got {type(parameters).__name__}")
    machine_arn = parameters.get("StateMachineArn")
    m = _MACHINE_ARN.match(machine_arn) if isinstance(machine_arn, str) else None
    if m is None:
        raise _fail("InvalidArn", f"{where}: Parameters.StateMachineArn {machine_arn!r} is not a state machine ARN "
                    "(arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)")
    machine = m.group(1)
    data = parameters.get("Input", {})
    if isinstance(data, str):  # the API takes Input as JSON text; ASL may also give an object
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise _fail("InvalidExecutionInput", f"{where}: Parameters.Input is not JSON text: {exc}") from None
    name = parameters.get("Name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 80):
        raise _fail("InvalidName", f"{where}: Parameters.Name must be a string of 1 to 80 characters, got {name!r}")
    engine = ctx.engine
    if engine.tables.latest_version(machine) is None:
        raise _fail("StateMachineDoesNotExist", f"{where}: state machine {machine!r} does not exist")
    if name is not None:
        existing = engine.tables.execution(execution_arn(machine, name))
        if existing is not None:
            if existing["status"] == ExecutionStatus.RUNNING and engine.describe_execution(existing["arn"])["input"] == data:
                return {"ExecutionArn": existing["arn"], "StartDate": existing["start"]}  # idempotent, as the API is
            raise _fail("ExecutionAlreadyExists", f"{where}: an execution named {name!r} of {machine!r} already "
                        f"exists ({existing['status']})")
    arn = engine.start_execution(machine, data, name=name)
    return {"ExecutionArn": arn, "StartDate": engine.describe_execution(arn)["startDate"]}
