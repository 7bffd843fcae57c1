"""Pydantic models of an ASL definition: a discriminated union on `Type`.

They check shapes (field names, types, required fields, Next-or-End); `validate.py` adds the
checks that need the whole graph (targets, reachability, paths, States.ALL placement).

The `Type` and `QueryLanguage` literals are plain strings, the same as asl.StateType and
asl.QueryLanguage's values: with enum members pydantic's messages would read
"<QueryLanguage.JSONPATH: 'JSONPath'>" instead of 'JSONPath'.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.statemachine.asl import StateType


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Retrier(_M):
    ErrorEquals: list[str] = Field(min_length=1)
    IntervalSeconds: int = Field(default=1, ge=1, le=99999999)
    MaxAttempts: int = Field(default=3, ge=0, le=99999999)
    BackoffRate: float = Field(default=2.0, ge=1.0)
    MaxDelaySeconds: int | None = Field(default=None, ge=1, lt=31622401)
    JitterStrategy: Literal["FULL", "NONE"] = "NONE"
    Comment: str | None = None


class Catcher(_M):
    ErrorEquals: list[str] = Field(min_length=1)
    Next: str
    ResultPath: str | None = "$"
    Output: Any = None
    Assign: dict[str, Any] | None = None
    Comment: str | None = None


class _State(_M):
    Comment: str | None = None
    QueryLanguage: Literal["JSONPath", "JSONata"] | None = None
    Assign: dict[str, Any] | None = None


class _Flow(_State):
    Next: str | None = None
    End: bool | None = None

    @model_validator(mode="after")
    def _next_or_end(self):
        if self.End is True and self.Next is not None:
            raise ValueError("has both Next and End; a state either moves on or ends")
        if self.End is not True and self.Next is None:
            raise ValueError("needs Next or \"End\": true")
        return self


class _IO(_State):
    InputPath: str | None = "$"
    OutputPath: str | None = "$"
    Output: Any = None


class _Recovers(_State):
    """Task, Parallel and Map: the states with a result to select and errors to Retry or Catch."""

    ResultSelector: Any = None
    ResultPath: str | None = "$"
    Retry: list[Retrier] = []
    Catch: list[Catcher] = []


class Pass(_Flow, _IO):
    Type: Literal["Pass"]
    Parameters: Any = None
    Result: Any = None
    ResultPath: str | None = "$"


class Task(_Flow, _IO, _Recovers):
    Type: Literal["Task"]
    Resource: str
    Parameters: Any = None
    Arguments: Any = None
    TimeoutSeconds: int | str | None = None
    TimeoutSecondsPath: str | None = None
    HeartbeatSeconds: int | str | None = None
    HeartbeatSecondsPath: str | None = None
    Credentials: Any = None


class ChoiceRule(_M):
    """A rule: a comparator on Variable, or And/Or/Not, or (JSONata) a Condition."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    Variable: str | None = None
    Next: str | None = None
    And: list["ChoiceRule"] | None = None
    Or: list["ChoiceRule"] | None = None
    Not: "ChoiceRule | None" = None
    Condition: Any = None
    Output: Any = None
    Assign: dict[str, Any] | None = None
    Comment: str | None = None


class Choice(_IO):
    Type: Literal["Choice"]
    Choices: list[ChoiceRule] = Field(min_length=1)
    Default: str | None = None


class Wait(_Flow, _IO):
    Type: Literal["Wait"]
    Seconds: int | str | None = None
    Timestamp: str | None = None
    SecondsPath: str | None = None
    TimestampPath: str | None = None


class Succeed(_IO):
    Type: Literal["Succeed"]


class Fail(_State):
    Type: Literal["Fail"]
    Error: str | None = None
    Cause: str | None = None
    ErrorPath: str | None = None
    CausePath: str | None = None


class Branch(_M):
    StartAt: str
    States: dict[str, "State"]
    Comment: str | None = None
    QueryLanguage: Literal["JSONPath", "JSONata"] | None = None
    ProcessorConfig: dict[str, Any] | None = None


class Parallel(_Flow, _IO, _Recovers):
    Type: Literal["Parallel"]
    Branches: list[Branch] = Field(min_length=1)
    Parameters: Any = None
    Arguments: Any = None


class Map(_Flow, _IO, _Recovers):
    Type: Literal["Map"]
    ItemProcessor: Branch | None = None
    Iterator: Branch | None = None
    ItemsPath: str | None = "$"
    Items: Any = None
    ItemSelector: Any = None
    Parameters: Any = None
    Arguments: Any = None
    MaxConcurrency: int | str | None = Field(default=0)
    MaxConcurrencyPath: str | None = None
    ToleratedFailureCount: int | str | None = None
    ToleratedFailurePercentage: float | str | None = None
    ToleratedFailureCountPath: str | None = None
    ToleratedFailurePercentagePath: str | None = None
    Label: str | None = None
    ItemReader: Any = None
    ItemBatcher: Any = None
    ResultWriter: Any = None

    @model_validator(mode="after")
    def _processor(self):
        if (self.ItemProcessor is None) == (self.Iterator is None):
            raise ValueError("needs exactly one of ItemProcessor or Iterator")
        return self


State = Annotated[Union[Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map], Field(discriminator="Type")]


class Definition(_M):
    StartAt: str
    States: dict[str, State] = Field(min_length=1)
    Comment: str | None = None
    Version: str | None = None
    TimeoutSeconds: int | None = Field(default=None, ge=1)
    QueryLanguage: Literal["JSONPath", "JSONata"] = "JSONPath"


Branch.model_rebuild()
ChoiceRule.model_rebuild()
Definition.model_rebuild()

#: Every state Type name (the models' `Type` literals are these strings; pydantic discriminates on them).
STATE_TYPES: tuple[str, ...] = tuple(StateType)
