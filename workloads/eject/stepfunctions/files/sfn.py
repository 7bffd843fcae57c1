"""Deploy and drive this exported state machine with boto3: the steps deploy.py's commands take.

Everything here is plain AWS API calls (IAM, Lambda, Step Functions), so the same code runs
against a real account, against an endpoint (`endpoint_url=`, e.g. moto's server or LocalStack),
or inside moto's in-process mock. resources.json says which Lambda functions the definition names,
the handler each runs, and the region and account the exported ARNs were written for; `rendered`
rewrites them for the account the credentials belong to.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAMBDA_ROLE = "workflow-canvas-lambda"
STATES_ROLE = "workflow-canvas-states"
_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "{service}"},
                                                   "Action": "sts:AssumeRole"}]}


def resources() -> dict[str, Any]:
    """resources.json: the state machine's name, its functions and the ARN each state calls."""
    return json.loads((HERE / "resources.json").read_text())


def definition(version: int = 1) -> dict[str, Any]:
    """The ASL of `version` as exported (statemachine.asl.json, statemachine.v2.asl.json...)."""
    name = "statemachine.asl.json" if version == 1 else f"statemachine.v{version}.asl.json"
    return json.loads((HERE / name).read_text())


def clients(*, endpoint_url: str | None = None, region: str | None = None) -> dict[str, Any]:
    """boto3 clients for the four services, all through one endpoint when `endpoint_url` is given."""
    import boto3

    region = region or resources()["region"]
    return {name: boto3.client(name, region_name=region, endpoint_url=endpoint_url)
            for name in ("stepfunctions", "lambda", "iam", "sts")}


def rendered(asl: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """The definition with each exported Lambda and state machine ARN (a states:startExecution
    of itself) rewritten for `region` and `account`."""
    r = resources()
    text = json.dumps(asl)
    for service, kind in (("lambda", "function"), ("states", "stateMachine")):
        old = f"arn:aws:{service}:{r['region']}:{r['account']}:{kind}:"
        new = f"arn:aws:{service}:{region}:{account}:{kind}:"
        text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
    return json.loads(text)


def ensure_role(iam: Any, name: str, service: str, policy: dict[str, Any] | None = None) -> str:
    """The role `name` that `service` may assume (created on first deploy), with an inline policy."""
    trust = json.dumps(_TRUST).replace("{service}", service)
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))
    return str(arn)


def package(extra: Path | None = None) -> bytes:
    """The deployment package: handlers.py and canvas_services.py (plus `extra`, a directory made
    with `pip install --target DIR workflow-canvas`, which a real Lambda needs to import workloads)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("handlers.py", "canvas_services.py"):
            z.write(HERE / name, name)
        if extra is not None:
            for path in sorted(extra.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    z.write(path, path.relative_to(extra).as_posix())
    return buf.getvalue()


def deploy(c: dict[str, Any], *, db: str, lambda_role_arn: str | None = None, states_role_arn: str | None = None,
           environment: dict[str, str] | None = None, extra: Path | None = None) -> str:
    """Create (or update) every Lambda function and the state machine; returns its ARN.

    CANVAS_DB is the database the handlers reach the services through: on AWS a path every
    function shares (an EFS mount), since each function's /tmp is its own."""
    region = c["stepfunctions"].meta.region_name
    account = c["sts"].get_caller_identity()["Account"]
    r = resources()
    lambda_role_arn = lambda_role_arn or ensure_role(c["iam"], LAMBDA_ROLE, "lambda.amazonaws.com")
    code = package(extra)
    variables = {"CANVAS_DB": db, **(environment or {})}
    for name, fn in r["functions"].items():
        try:
            c["lambda"].create_function(FunctionName=name, Runtime=r["runtime"], Role=lambda_role_arn,
                                        Handler=fn["handler"], Code={"ZipFile": code}, Timeout=30, MemorySize=256,
                                        Environment={"Variables": variables}, Description=fn["description"])
        except c["lambda"].exceptions.ResourceConflictException:
            c["lambda"].update_function_code(FunctionName=name, ZipFile=code)
            c["lambda"].update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    arn = f"arn:aws:states:{region}:{account}:stateMachine:{r['state_machine']}"
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [
        f"arn:aws:lambda:{region}:{account}:function:{n}*" for n in r["functions"]]}]
    if "arn:aws:states:::states:startExecution" in json.dumps(definition(1)):  # it starts its own successor
        statements.append({"Effect": "Allow", "Action": "states:StartExecution", "Resource": [arn]})
    states_role_arn = states_role_arn or ensure_role(c["iam"], STATES_ROLE, "states.amazonaws.com", {
        "Version": "2012-10-17", "Statement": statements})
    asl = json.dumps(rendered(definition(1), region, account))
    sfn = c["stepfunctions"]
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=asl, roleArn=states_role_arn, publish=True,
                                 versionDescription="version 1, exported by workflow-canvas")
    except sfn.exceptions.StateMachineDoesNotExist:
        arn = sfn.create_state_machine(name=r["state_machine"], definition=asl, roleArn=states_role_arn, type="STANDARD",
                                       publish=True, versionDescription="version 1, exported by workflow-canvas")["stateMachineArn"]
    return str(arn)


def publish(c: dict[str, Any], state_machine_arn: str, version: int, description: str) -> str:
    """UpdateStateMachine with the exported `version`, published: returns the new version's ARN
    (executions already running keep the version they started on)."""
    region = c["stepfunctions"].meta.region_name
    account = c["sts"].get_caller_identity()["Account"]
    out = c["stepfunctions"].update_state_machine(stateMachineArn=state_machine_arn, publish=True,
                                                  definition=json.dumps(rendered(definition(version), region, account)),
                                                  versionDescription=description)
    return str(out["stateMachineVersionArn"])


def start(c: dict[str, Any], state_machine_arn: str, name: str, payload: Any) -> str:
    """StartExecution; returns the execution ARN."""
    out = c["stepfunctions"].start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    return str(out["executionArn"])


def wait(c: dict[str, Any], execution_arn: str, timeout_s: float = 300.0, poll_s: float = 1.0) -> dict[str, Any]:
    """DescribeExecution until the execution is no longer RUNNING, or `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        d = c["stepfunctions"].describe_execution(executionArn=execution_arn)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            return dict(d)
        time.sleep(poll_s)


def history(c: dict[str, Any], execution_arn: str) -> list[dict[str, Any]]:
    """GetExecutionHistory, every page, oldest first."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = c["stepfunctions"].get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def execution_arn(c: dict[str, Any], name: str) -> str:
    """The ARN of this state machine's execution called `name`."""
    region = c["stepfunctions"].meta.region_name
    account = c["sts"].get_caller_identity()["Account"]
    return f"arn:aws:states:{region}:{account}:execution:{resources()['state_machine']}:{name}"


def cli(description: str) -> Any:
    """The argument parser every deploy.py shares (its own commands are added to it)."""
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--endpoint-url", help="a Step Functions/Lambda endpoint (moto server, LocalStack); default: AWS")
    p.add_argument("--region", help=f"default: {resources()['region']} (or AWS_DEFAULT_REGION)")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy", help="create the Lambda functions and the state machine")
    d.add_argument("--db", required=True, help="CANVAS_DB for the functions (on AWS: a path on a shared EFS mount)")
    d.add_argument("--lambda-role-arn", help="an existing execution role for the functions (default: create one)")
    d.add_argument("--states-role-arn", help="an existing role for the state machine (default: create one)")
    d.add_argument("--package", type=Path, help="a directory with Workflow Canvas installed (pip install --target)")
    sub.add_parser("start", help="start the execution")
    sub.add_parser("status", help="the execution's status, output and history event types")
    sub.add_parser("stop", help="StopExecution: the execution ends ABORTED, no Catch runs")
    return p, sub


def common(args: Any, c: dict[str, Any], name: str, payload: Any, environment: dict[str, str] | None = None) -> bool:
    """Run the shared commands (deploy, start, status, stop); False when the command is the script's own."""
    if args.command == "deploy":
        print(deploy(c, db=args.db, lambda_role_arn=args.lambda_role_arn, states_role_arn=args.states_role_arn,
                     environment=environment, extra=args.package))
    elif args.command == "start":
        r = resources()
        arn = f"arn:aws:states:{c['stepfunctions'].meta.region_name}:{c['sts'].get_caller_identity()['Account']}" \
              f":stateMachine:{r['state_machine']}"
        print(start(c, arn, name, payload))
    elif args.command == "status":
        d = c["stepfunctions"].describe_execution(executionArn=execution_arn(c, name))
        print(d["status"], d.get("output") or d.get("error") or "")
        print(" ".join(e["type"] for e in history(c, execution_arn(c, name))))
    elif args.command == "stop":
        c["stepfunctions"].stop_execution(executionArn=execution_arn(c, name), error="Stopped", cause="stopped by an operator")
    else:
        return False
    return True
