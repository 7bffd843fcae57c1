"""Lambda invocations inside moto, answered by the exported handlers.py (no Docker).

moto's docker-less Lambda backend keeps each function's configuration (the deploy script's
CreateFunction: Handler `handlers.charge_card`, Environment, Timeout) but runs no code. While
`routed_to(modules)` is in force its Invoke looks the function up (an unknown one is
ResourceNotFound, as on AWS), sets the function's environment variables, and calls the handler it
names in the exported module with the event and a context object, the way Lambda's Python runtime
does. A handler that raises answers with the runtime's error shape ({errorMessage, errorType,
requestId, stackTrace}) and the `Unhandled` function error, which Step Functions turns into the
error name that Retry and Catch match.
"""

from __future__ import annotations

import json
import os
import traceback
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass
class LambdaContext:
    """What Lambda's Python runtime hands a handler as `context` (the fields handlers read)."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    timeout_s: int

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_s * 1000  # a handler takes no virtual time


@contextmanager
def routed_to(modules: Mapping[str, ModuleType]) -> Iterator[list[str]]:
    """Route moto's Lambda Invoke to `modules` (module name → the exported module); yields the
    list of invocations made (function names, in order)."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    invoked: list[str] = []
    saved_env = dict(os.environ)

    def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: dict[str, str]) -> bytes:
        fn = self.get_function(function_name, qualifier)
        module_name, _, attr = str(fn.handler).rpartition(".")
        handler = getattr(modules[module_name], attr)
        os.environ.update(fn.environment_vars or {})
        context = LambdaContext(fn.function_name, str(fn.version), fn.function_arn, int(fn.memory_size),
                                str(uuid.uuid4()), int(fn.timeout))
        invoked.append(fn.function_name)
        raw = body.decode() if isinstance(body, bytes) else str(body or "{}")
        try:
            result = handler(json.loads(raw or "{}"), context)
        except Exception as exc:  # noqa: BLE001 - the runtime's answer for any unhandled exception
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                               "requestId": context.aws_request_id,
                               "stackTrace": traceback.format_tb(exc.__traceback__.tb_next if exc.__traceback__ else None)}).encode()
        return json.dumps(result).encode()

    original = LambdaSimpleBackend.__dict__["invoke"]
    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
    try:
        yield invoked
    finally:
        LambdaSimpleBackend.invoke = original  # type: ignore[method-assign]
        os.environ.clear()
        os.environ.update(saved_env)
