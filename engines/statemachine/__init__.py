"""Amazon States Language, Step Functions style: definitions, data flow, the interpreter.

Public API: `Engine` (create_state_machine, publish_version, start_execution, send_task_success,
send_task_failure, send_task_heartbeat, stop_execution, describe_execution,
get_execution_history, list_executions, waiting_tokens, resume, run_until_idle),
`Resources`/`TaskFailed`/`Deferred`/`TaskContext` for binding Resource ARNs to Python callables,
`load_definition`/`validate`, `DefinitionError`, and the vocabularies as StrEnums:
`HistoryEventType`, `ExecutionStatus`, `StateType`, `QueryLanguage`.
"""

from engines.statemachine.asl import QueryLanguage, StateType
from engines.statemachine.drawing import state_list
from engines.statemachine.engine import Engine
from engines.statemachine.errors import DefinitionError, StatemachineError, StatesError, TaskTokenError
from engines.statemachine.execution import ExecutionStatus
from engines.statemachine.history import HistoryEvent, HistoryEventType
from engines.statemachine.resources import Deferred, Resources, TaskContext, TaskFailed
from engines.statemachine.validate import load_definition, validate

__all__ = ["state_list", "DefinitionError", "Deferred", "Engine", "ExecutionStatus", "HistoryEvent", "HistoryEventType",
           "QueryLanguage", "Resources", "StateType", "StatemachineError", "StatesError", "TaskContext", "TaskFailed",
           "TaskTokenError", "load_definition", "validate"]
