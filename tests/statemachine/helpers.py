"""Run a definition on a fresh engine and read back what the tests assert on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engines.clock import EPOCH, VirtualClock
from engines.statemachine import Engine, Resources


@dataclass
class Result:
    status: str
    output: Any
    error: str | None
    cause: str | None
    events: list[str]
    engine: Engine
    arn: str

    @property
    def retry_delays(self) -> list[float]:
        return [e.data["delay"] for e in self.engine.recorder.events if e.kind == "RetryScheduled"]


def run(definition: dict, input: Any = None, resources: Resources | None = None, *, until_idle: bool = True,
        engine: Engine | None = None) -> Result:
    engine = engine or Engine(":memory:", VirtualClock(EPOCH), resources or Resources())
    engine.create_state_machine("m", definition)
    arn = engine.start_execution("m", {} if input is None else input)
    if until_idle:
        engine.run_until_idle()
    return result(engine, arn)


def result(engine: Engine, arn: str) -> Result:
    d = engine.describe_execution(arn)
    return Result(d["status"], d["output"], d["error"], d["cause"], [e.type for e in engine.get_execution_history(arn)],
                  engine, arn)


def machine(**states: dict) -> dict:
    names = list(states)
    return {"StartAt": names[0], "States": states}


LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
