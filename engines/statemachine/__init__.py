"""Amazon States Language, Step Functions style: definitions, data flow, the interpreter.

Public API: `Engine` (create_state_machine, publish_version, start_execution, send_task_success,
send_task_failure, send_task_heartbeat, stop_execution, describe_execution,
get_execution_history, resume), `Resources`/`TaskFailed`/`Deferred`/`TaskContext` for binding
Resource ARNs to Python callables, `load_definition`/`validate`, `DefinitionError`.
"""

from engines.statemachine.drawing import state_list
from engines.statemachine.errors import DefinitionError, StatemachineError, StatesError, TaskTokenError
from engines.statemachine.interpreter import Engine
from engines.statemachine.resources import Deferred, Resources, TaskContext, TaskFailed
from engines.statemachine.validate import load_definition, validate

__all__ = ["state_list", "DefinitionError", "Deferred", "Engine", "Resources", "StatemachineError", "StatesError", "TaskContext",
           "TaskFailed", "TaskTokenError", "load_definition", "validate"]
