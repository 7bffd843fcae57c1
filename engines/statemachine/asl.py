"""The closed vocabularies of the Amazon States Language itself: state `Type`s and `QueryLanguage`s.

They are StrEnums so that a definition's plain JSON strings compare equal to them (`"Task" ==
StateType.TASK`) while the interpreter's own code cannot misspell one. The values are exactly
the strings of the ASL specification, which the definitions stored in SQLite hold.
"""

from __future__ import annotations

from enum import StrEnum


class StateType(StrEnum):
    """A state's `Type` (in the order the validation messages list them)."""

    PASS = "Pass"
    TASK = "Task"
    CHOICE = "Choice"
    WAIT = "Wait"
    SUCCEED = "Succeed"
    FAIL = "Fail"
    PARALLEL = "Parallel"
    MAP = "Map"


#: The states that fan out into child threads (branches, iterations) and join them.
FAN_OUT = frozenset({StateType.PARALLEL, StateType.MAP})
#: The states whose work produces a result (ResultSelector, ResultPath, `$states.result`; Retry/Catch).
WITH_RESULT = frozenset({StateType.TASK, StateType.PARALLEL, StateType.MAP})


class QueryLanguage(StrEnum):
    """How a state's fields are evaluated: JSONPath paths and templates, or `{% %}` JSONata expressions."""

    JSONPATH = "JSONPath"
    JSONATA = "JSONata"


#: What a definition without a `QueryLanguage` field uses (the ASL default).
DEFAULT_QUERY_LANGUAGE = QueryLanguage.JSONPATH
