"""Task `Resource` ARNs resolved through a local registry of Python callables.

This is the visible price of cloud binding: a definition names `arn:aws:lambda:…:function:F`
or `arn:aws:states:::lambda:invoke.waitForTaskToken`, and something must stand behind the name.
Here a `Resources` registry maps the function name (or a whole ARN) to a callable
`fn(payload, ctx: TaskContext) -> result`. A callable raises `TaskFailed(error, cause)` (or any
exception: its `type_name` or class name becomes the error name, as Lambda's errorType does), or
returns `Deferred(...)` to answer after some virtual seconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Callable

from engines.statemachine.errors import ResourceNotFound
from engines.statemachine.history import TaskEventPrefix



class IntegrationKind(StrEnum):
    """What stands behind a Resource ARN."""

    LAMBDA = "lambda"                # arn:aws:lambda:…:function:F (legacy: LambdaFunction* events)
    LAMBDA_INVOKE = "lambda-invoke"  # arn:aws:states:::lambda:invoke (Parameters.FunctionName)
    SERVICE = "service"              # any other arn:aws:states:::service:api
    ACTIVITY = "activity"            # arn:aws:states:…:activity:A (a worker answers the token)


class IntegrationPattern(StrEnum):
    """Step Functions' service integration patterns (the ARN suffix chooses one)."""

    REQUEST_RESPONSE = "request-response"
    CALLBACK = "callback"            # .waitForTaskToken
    SYNC = "sync"                    # .sync / .sync:2 (run a job)


_LAMBDA_ARN = re.compile(r"^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$")
_ACTIVITY_ARN = re.compile(r"^arn:aws[\w-]*:states:[^:]*:[^:]*:activity:(.+)$")
_SERVICE_ARN = re.compile(r"^arn:aws[\w-]*:states:::([\w.-]+?)(?::([\w.-]+?))?(\.waitForTaskToken|\.sync(?::2)?)?$")


@dataclass(frozen=True)
class ResourceRef:
    """What a Resource ARN means: which integration, which pattern, which name to look up."""

    arn: str
    kind: IntegrationKind
    pattern: IntegrationPattern
    name: str  # the function / activity / service:api name used for lookup

    @property
    def history_prefix(self) -> TaskEventPrefix:
        """Legacy Lambda ARNs write LambdaFunction* events, activities Activity*, the rest Task*."""
        if self.kind == IntegrationKind.LAMBDA:
            return TaskEventPrefix.LAMBDA_FUNCTION
        return TaskEventPrefix.ACTIVITY if self.kind == IntegrationKind.ACTIVITY else TaskEventPrefix.TASK


def parse_resource(arn: str, parameters: Any = None) -> ResourceRef:
    """Classify a Resource ARN; for `lambda:invoke` the function comes from Parameters.FunctionName."""
    if m := _LAMBDA_ARN.match(arn):
        return ResourceRef(arn, IntegrationKind.LAMBDA, IntegrationPattern.REQUEST_RESPONSE, m.group(1))
    if m := _ACTIVITY_ARN.match(arn):
        return ResourceRef(arn, IntegrationKind.ACTIVITY, IntegrationPattern.CALLBACK, m.group(1))
    if m := _SERVICE_ARN.match(arn):
        service, api, suffix = m.group(1), m.group(2) or "", m.group(3) or ""
        pattern = (IntegrationPattern.CALLBACK if suffix == ".waitForTaskToken"
                   else IntegrationPattern.SYNC if suffix.startswith(".sync") else IntegrationPattern.REQUEST_RESPONSE)
        if service == "lambda" and api == "invoke":
            fn = parameters.get("FunctionName") if isinstance(parameters, dict) else None
            name = function_name(fn) if isinstance(fn, str) else ""
            return ResourceRef(arn, IntegrationKind.LAMBDA_INVOKE, pattern, name)
        return ResourceRef(arn, IntegrationKind.SERVICE, pattern, f"{service}:{api}" if api else service)
    return ResourceRef(arn, IntegrationKind.SERVICE, IntegrationPattern.REQUEST_RESPONSE, arn)


def function_name(fn: str) -> str:
    """`arn:aws:lambda:…:function:charge-card:$LATEST` or `charge-card` → `charge-card`."""
    if m := _LAMBDA_ARN.match(fn):
        return m.group(1)
    return fn.split(":")[0] if not fn.startswith("arn:") else fn


@dataclass
class TaskContext:
    """What a task callable may know: its token (callbacks), attempt, state, execution, time."""

    execution: str
    state: str
    token: str | None
    retry_count: int
    now: datetime
    ref: ResourceRef
    engine: Any = None  # the Engine, so a callable can answer its own token (send_task_success)


class TaskFailed(Exception):
    """Raise from a task callable to fail the task with a Step Functions error name and cause."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


@dataclass
class Deferred:
    """Answer after `seconds` virtual seconds: with `value`, or fail with `error`/`cause`."""

    seconds: float
    value: Any = None
    error: str | None = None
    cause: str = ""


def error_of(exc: BaseException, ref: ResourceRef) -> tuple[str, str]:
    """The (Error, Cause) a failing callable reports; Lambda-style JSON cause for Lambda resources."""
    if isinstance(exc, TaskFailed):
        return exc.error, exc.cause
    name = getattr(exc, "type_name", None) or type(exc).__name__
    message = str(exc)
    if ref.kind in (IntegrationKind.LAMBDA, IntegrationKind.LAMBDA_INVOKE):
        return name, json.dumps({"errorMessage": message, "errorType": name})
    return name, message


TaskFn = Callable[[Any, TaskContext], Any]


@dataclass
class Resources:
    """The local registry. Look-up order: the exact ARN, then the function/activity name, then a fallback."""

    handlers: dict[str, TaskFn] = field(default_factory=dict)
    fallback: TaskFn | None = None

    def register(self, name_or_arn: str, fn: TaskFn) -> "Resources":
        self.handlers[name_or_arn] = fn
        return self

    def resolve(self, ref: ResourceRef) -> TaskFn:
        for key in (ref.arn, ref.name):
            if key in self.handlers:
                return self.handlers[key]
        if self.fallback is not None:
            return self.fallback
        known = ", ".join(sorted(self.handlers)) or "none"
        raise ResourceNotFound(f"no local callable is bound to {ref.arn!r} (looked for {ref.name!r}; bound: {known})")
