"""Where moto 5.2.5's Step Functions misses what AWS documents, closed for the run (moto untouched).

- The `states:startExecution` integration: AWS takes the StartExecution request in the state's
  Parameters with its fields capitalised (StateMachineArn, Name, Input, TraceHeader), as in every
  optimized integration, and calls the API with them. moto's copy of LocalStack's interpreter
  leaves out the step that maps them onto the API's own members (stateMachineArn, name, input:
  `StateTaskService._normalise_parameters` is a no-op there), so the call reaches moto's
  StartExecution without a state machine ARN and the state fails with States.Runtime
  ('StateMachineArn'). While `states_integration_cased()` is in force the parameters are mapped
  as AWS maps them, and the answer is given back in the integration's own shape
  ({"ExecutionArn", "StartDate"}, the date as an ISO-8601 string): moto pushes boto3's answer
  as it is (executionArn, startDate as a datetime), which its own DescribeExecution then cannot
  serialise. StartDate stays moto's wall-clock time (its executions' dates are not on the
  virtual clock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

#: StartExecution's request members, by the capitalised names the ASL Parameters use.
START_EXECUTION_MEMBERS = {"StateMachineArn": "stateMachineArn", "Name": "name", "Input": "input",
                           "TraceHeader": "traceHeader"}


@contextmanager
def states_integration_cased() -> Iterator[None]:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn as sfn_service,
    )

    owner = sfn_service.StateTaskServiceSfn
    original = owner.__dict__["_normalise_parameters"]

    def normalise(self: Any, parameters: dict[str, Any], boto_service_name: str | None = None,
                  service_action_name: str | None = None) -> None:
        original(self, parameters, boto_service_name, service_action_name)
        if service_action_name is None and self._get_boto_service_action() == "start_execution":
            for ours, api in START_EXECUTION_MEMBERS.items():
                if ours in parameters:
                    parameters[api] = parameters.pop(ours)

    evaluate = owner.__dict__["_eval_service_task"]

    def eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        evaluate(self, env, *args, **kwargs)
        if self._get_boto_service_action() == "start_execution" and env.stack and isinstance(env.stack[-1], dict):
            answer = env.stack.pop()
            started = answer.get("startDate")
            env.stack.append({"ExecutionArn": answer.get("executionArn"),
                              "StartDate": started.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
                              if isinstance(started, datetime) else started})

    owner._normalise_parameters = normalise  # type: ignore[method-assign]
    owner._eval_service_task = eval_service_task  # type: ignore[method-assign]
    try:
        yield
    finally:
        owner._normalise_parameters = original  # type: ignore[method-assign]
        owner._eval_service_task = evaluate  # type: ignore[method-assign]
