"""Run conformance cases on moto's Step Functions interpreter (a port of LocalStack's), one by one.

Runs under a peer venv with moto[stepfunctions] 5.2.5 and jsonata-python (never the app's venv):

    /work/peers/asl-moto-venv/bin/python tools/asl_conformance/moto_runner.py < cases.json > results.json

Reads a JSON list of cases ({"id", "definition", "input", "tasks"?}), prints {id: result} with
result = {"status", "output" | "error", "cause"}. What is patched, and why (moto itself is untouched):
- Wait states and Retry back-off really sleep in moto: both are cut to no time (virtual time, as
  this project's engine keeps it).
- moto 5.2.5's JSONata evaluator is a stub (a JVM bridge it does not ship): jsonata-python is
  plugged in where LocalStack evaluates its composed expressions.
- moto's DescribeExecution gives a string output unquoted: it is read back as that string.
- Lambda functions answer from the case's `tasks` script ({"Return": v} | {"Throw": {"Error", "Cause"}},
  used in order, the last repeating; unscripted functions echo their payload), through moto's
  docker-less Lambda backend.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import boto3
from moto import mock_aws

ROLE = "arn:aws:iam::123456789012:role/sfn"
_script: dict[str, list[dict]] = {}
_used: dict[str, int] = {}


def _patch() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function
    from moto.stepfunctions.parser.asl.jsonata import jsonata as sfn_jsonata

    wait_function.WaitFunction._wait_interval = lambda self, env, wait_seconds: None

    class _NoSleep:
        @staticmethod
        def sleep(seconds: float) -> None:
            return None

        time = staticmethod(time.time)

    retrier_decl.time = _NoSleep  # type: ignore[attr-defined]

    def eval_jsonata(expression: str) -> Any:
        import jsonata

        return jsonata.Jsonata(expression).evaluate(None)

    sfn_jsonata._eval_jsonata = eval_jsonata

    def invoke(self, function_name, qualifier, body, headers, response_headers):  # noqa: ANN001
        name = function_name.split(":function:")[-1].split(":")[0]
        responses = _script.get(name)
        if not responses:
            return body if isinstance(body, bytes) else str(body or "{}").encode()
        i = _used.get(name, 0)
        _used[name] = i + 1
        r = responses[min(i, len(responses) - 1)]
        if "Throw" in r:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": r["Throw"]["Error"], "errorMessage": r["Throw"].get("Cause", "")}).encode()
        return json.dumps(r.get("Return")).encode()

    LambdaSimpleBackend.invoke = invoke


def run_case(client: Any, case: dict, n: int) -> dict:
    _script.clear()
    _script.update(case.get("tasks") or {})
    _used.clear()
    try:
        arn = client.create_state_machine(name=f"m{n}", definition=json.dumps(case["definition"]),
                                          roleArn=ROLE)["stateMachineArn"]
    except Exception as exc:  # refused at creation (AWS would say so too)
        return {"status": "REFUSED", "error": type(exc).__name__, "cause": str(exc)[:300]}
    ex = client.start_execution(stateMachineArn=arn, input=json.dumps(case.get("input", {})))["executionArn"]
    deadline = time.time() + 30
    while True:
        d = client.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING" or time.time() > deadline:
            break
        time.sleep(0.01)
    out: dict[str, Any] = {"status": d["status"]}
    if d["status"] == "SUCCEEDED":
        text = d.get("output", "null")
        try:
            out["output"] = json.loads(text)
        except json.JSONDecodeError:  # moto stores a string output unquoted ("big", not "\"big\"")
            out["output"] = text
    elif d["status"] != "RUNNING":
        out["error"], out["cause"] = d.get("error"), d.get("cause")
    return out


def main() -> None:
    import logging

    logging.disable(logging.CRITICAL)  # moto logs every caught ASL error at ERROR level
    cases = json.load(sys.stdin)
    results: dict[str, Any] = {}
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        _patch()
        client = boto3.client("stepfunctions", region_name="us-east-1")
        for n, case in enumerate(cases):
            try:
                results[case["id"]] = run_case(client, case, n)
            except Exception as exc:  # moto itself broke on the case
                results[case["id"]] = {"status": "CRASHED", "error": type(exc).__name__, "cause": str(exc)[:300]}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
