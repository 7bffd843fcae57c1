"""`workflow-canvas export WORKLOAD --to stepfunctions DIR`: the ASL, its resource map, its Lambdas.

An export is what a Step Functions team would keep in a repository:

    statemachine.asl.json      the workload's own definition (workloads/<w>/statemachine.json)
    statemachine.v2.asl.json   ORDER #1001's version 2 (FraudCheck), for the deploy-v2 scenario
    resources.json             the state machine's name; each Lambda function: ARN, handler,
                               the states that call it; each state → the ARN it calls
    handlers.py                one `def name(event, context)` per function, over canvas_services
    canvas_services.py         the door to the same services the mini-engines call
    sfn.py, deploy.py          boto3: deploy the functions and the state machine, play scenarios
    README.md                  how to run it on AWS, on an endpoint, and on moto

The ARNs are written for region us-east-1 and account 123456789012 (moto's default account);
deploy.py rewrites them for the account its credentials belong to.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from typing import Any

from workloads.eject.real import RealRunError

FILES = Path(__file__).with_name("files")
ADAPTER = Path(__file__).parent.parent / "adapter.py"
REGION = "us-east-1"
ACCOUNT = "123456789012"
RUNTIME = "python3.11"
LAMBDA_PREFIX = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"


def _definitions(workload: str) -> tuple[str, dict[int, dict[str, Any]]]:
    """The state machine's name and its definitions by version, from the workload's own module."""
    if workload == "order-1001":
        from workloads.order_1001 import statemachine as order

        return order.STATE_MACHINE, {1: order.definition(), 2: order.definition_v2()}
    if workload == "expense-approval":
        from workloads.expense_approval import statemachine as expense

        return expense.STATE_MACHINE, {1: expense.definition()}
    if workload == "nightly-etl":
        from workloads.nightly_etl import statemachine as etl

        return etl.STATE_MACHINE, {1: etl.definition()}
    if workload == "kyc-review":
        from workloads.kyc import statemachine as kyc

        return kyc.STATE_MACHINE, {1: kyc.definition()}
    if workload == "thumbnail-fan-out":
        from workloads.thumbnails import statemachine as thumbnails

        return thumbnails.STATE_MACHINE, {1: thumbnails.definition()}
    if workload == "subscription-renewal":
        from workloads.subscription import statemachine as subscription

        return subscription.STATE_MACHINE, {1: subscription.definition()}
    raise RealRunError(f"{workload} is not exported to Step Functions; exported: {', '.join(MODULES)}")


#: The package folder of each workload's files.
MODULES = {"order-1001": "order_1001", "expense-approval": "expense_approval", "nightly-etl": "nightly_etl",
           "kyc-review": "kyc", "thumbnail-fan-out": "thumbnails",
           "subscription-renewal": "subscription"}


#: Map fields AWS documents for Distributed mode only (state-map-distributed's "Distributed Map
#: state fields"); an INLINE Map fails when any iteration fails, which is what 0 % tolerated says.
DISTRIBUTED_ONLY = ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount",
                    "ToleratedFailureCountPath", "ItemReader", "ItemBatcher", "ResultWriter", "Label")


def inline_maps_as_documented(asl: dict[str, Any], where: str = "States") -> tuple[dict[str, Any], list[str]]:
    """The definition with Distributed-only fields taken off every INLINE Map, and what was taken.

    Step Functions' inline Map has no failure threshold: any failed iteration fails the Map
    (state-map-inline), so `ToleratedFailurePercentage: 0` on an inline Map says what inline mode
    does anyway; moto's ASL parser (LocalStack's grammar) rejects the field there."""
    out = json.loads(json.dumps(asl))
    dropped: list[str] = []
    for name, state in out.get("States", {}).items():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if state.get("Type") == "Map" and isinstance(processor, dict):
            mode = processor.get("ProcessorConfig", {}).get("Mode", "INLINE")
            if mode == "INLINE":
                for key in DISTRIBUTED_ONLY:
                    if key in state:
                        dropped.append(f"{where}.{name}.{key} ({json.dumps(state.pop(key))})")
            inner, more = inline_maps_as_documented(processor, f"{where}.{name}.ItemProcessor.States")
            state["ItemProcessor" if "ItemProcessor" in state else "Iterator"] = inner
            dropped += more
        for i, branch in enumerate(state.get("Branches", ())):
            state["Branches"][i], more = inline_maps_as_documented(branch, f"{where}.{name}.Branches[{i}].States")
            dropped += more
    return out, dropped


def lambda_tasks(asl: dict[str, Any]) -> dict[str, str]:
    """State name → the Lambda function ARN it invokes (a Lambda ARN Resource, or the
    `lambda:invoke` integration's FunctionName), over every Task of the definition, those inside
    a Map's ItemProcessor or a Parallel's Branches included."""
    found: dict[str, str] = {}
    for name, state in asl.get("States", {}).items():
        for inner in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", ())):
            if isinstance(inner, dict):  # a Map's ItemProcessor, a Parallel's branches: their own States
                found.update(lambda_tasks(inner))
        if state.get("Type") != "Task":
            continue
        resource = str(state.get("Resource", ""))
        if resource.startswith("arn:aws:states:::lambda:invoke"):
            found[name] = str(state.get("Parameters", {}).get("FunctionName", ""))
        elif ":lambda:" in resource and ":function:" in resource:
            found[name] = resource
    return found


def resource_map(state_machine: str, definitions: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """resources.json: every function the definitions call, with its handler and its states."""
    functions: dict[str, dict[str, Any]] = {}
    states: dict[str, str] = {}
    for version, asl in definitions.items():
        for state, arn in lambda_tasks(asl).items():
            if not arn.startswith(LAMBDA_PREFIX):
                raise RealRunError(f"{state_machine} v{version}: state {state}: {arn!r} is not a Lambda ARN of "
                                   f"{REGION}/{ACCOUNT}")
            name = arn.removeprefix(LAMBDA_PREFIX)
            fn = functions.setdefault(name, {"arn": arn, "handler": "handlers." + name.replace("-", "_"),
                                             "description": "", "states": []})
            if state not in fn["states"]:
                fn["states"].append(state)
            states[state if version == 1 else f"{state} (v{version})"] = arn
    for name, fn in functions.items():
        fn["description"] = f"Workflow Canvas {state_machine}: {', '.join(fn['states'])}"
    return {"state_machine": state_machine, "region": REGION, "account": ACCOUNT, "runtime": RUNTIME,
            "versions": sorted(definitions), "functions": functions, "states": states}


def _handler_names(path: Path) -> set[str]:
    """The top-level functions handlers.py defines (read, never imported: it needs boto's world)."""
    tree = ast.parse(path.read_text(), str(path))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def export(workload: str, out_dir: Path) -> list[Path]:
    """Write the runnable export of `workload` into `out_dir`; returns the files written."""
    state_machine, own = _definitions(workload)
    definitions: dict[int, dict[str, Any]] = {}
    dropped: list[str] = []
    for version, asl in own.items():
        definitions[version], gone = inline_maps_as_documented(asl)
        dropped += gone
    src = FILES / MODULES[workload]
    resources = resource_map(state_machine, definitions)
    defined = _handler_names(src / "handlers.py")
    missing = [f"{n} ({fn['handler']})" for n, fn in resources["functions"].items()
               if fn["handler"].split(".", 1)[1] not in defined]
    if missing:
        raise RealRunError(f"{src / 'handlers.py'}: no handler for {', '.join(missing)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(name: str, text: str) -> None:
        path = out_dir / name
        path.write_text(text)
        written.append(path)

    for version, asl in definitions.items():
        write("statemachine.asl.json" if version == 1 else f"statemachine.v{version}.asl.json",
              json.dumps(asl, indent=2) + "\n")
    write("resources.json", json.dumps(resources, indent=2) + "\n")
    for name, source in (("handlers.py", src / "handlers.py"), ("deploy.py", src / "deploy.py"),
                         ("sfn.py", FILES / "sfn.py"), ("canvas_services.py", ADAPTER)):
        shutil.copyfile(source, out_dir / name)
        written.append(out_dir / name)
    write("README.md", readme(workload, resources, dropped))
    return written


def readme(workload: str, resources: dict[str, Any], dropped: list[str] | None = None) -> str:
    """How to run this export by hand: on AWS, on an endpoint, and as `run --on real` does."""
    fns = "\n".join(f"| `{n}` | `{fn['handler']}` | {', '.join(fn['states'])} |" for n, fn in resources["functions"].items())
    extra = {
        "order-1001": "python deploy.py cancel        # cancelOrder: SendTaskFailure(OrderCancelled) with the stored token\n"
                      "python deploy.py stop          # or StopExecution: ABORTED, no Catch, nothing refunded\n"
                      "python deploy.py publish-v2    # version 2 (FraudCheck) and order-1002 on it\n",
        "expense-approval": "python deploy.py answer approve   # the manager's answer: SendTaskSuccess with the stored token\n",
        "nightly-etl": "",
        "kyc-review": "python deploy.py heartbeat       # the review queue's daily sweep (HeartbeatSeconds: 2 days)\n"
                      "python deploy.py new-documents 2 # an upload: SendTaskFailure(KYC.NewDocuments), back to the check\n"
                      "python deploy.py decide approve  # the reviewer: SendTaskSuccess with the stored token\n",
        "subscription-renewal": "python deploy.py cancel          # the account page (change-price, update-card)\n",
        "thumbnail-fan-out": "python deploy.py start-uploads --scenario batch-1000   # instead of start: one "
                             "execution per upload\n",
    }[workload]
    differs = "" if not dropped else (
        "\nOne change from the workload's own definition: " + ", ".join(dropped) + " is taken off, a field AWS "
        "documents for Distributed mode only; an inline Map fails as soon as any iteration fails, which is what "
        "0 % tolerated says.\n")
    seed = "python deploy.py seed --db $CANVAS_DB          # last night's source orders (--bad for bad-data)\n" \
        if workload == "nightly-etl" else \
        "python deploy.py seed --db $CANVAS_DB          # the uploads (--scenario flaky-size / batch-1000)\n" \
        if workload == "thumbnail-fan-out" else \
        "python deploy.py seed --db $CANVAS_DB          # the subscription row (--expiring for declined)\n" \
        if workload == "subscription-renewal" else ""
    return f"""# {workload} on AWS Step Functions

Exported by `workflow-canvas export {workload} --to stepfunctions`. `statemachine.asl.json` is the
same Amazon States Language the mini-engine runs (`workloads/{MODULES[workload]}/statemachine.json`);
its Lambda ARNs are written for region {REGION}, account {ACCOUNT}, and `deploy.py deploy`
rewrites them for the account your credentials belong to.
{differs}
| Lambda function | Handler | States |
|---|---|---|
{fns}

Every handler calls the same services as the mini-engines through `canvas_services.py`, over the
SQLite file named by `CANVAS_DB` (read its ledger back with `workflow-canvas ledger --db FILE`).

## On a real AWS account

1. Build the deployment package: `pip install --target package/ workflow-canvas` (Workflow Canvas
   and its dependencies; the handlers import `workloads`).
2. Give the functions one database they all reach: each Lambda's `/tmp` is its own, so mount an
   EFS access point on every function and set `--db /mnt/efs/world.sqlite`.
3. With credentials for the account (`AWS_PROFILE=...`):

```
{seed}python deploy.py deploy --db /mnt/efs/world.sqlite --package package/
python deploy.py start
{extra}python deploy.py status
```

`deploy` creates the roles `workflow-canvas-lambda` and `workflow-canvas-states` (the latter may
invoke only these functions) unless you pass `--lambda-role-arn` / `--states-role-arn`. Run
deploy.py where Workflow Canvas is importable and `CANVAS_DB` names the same database the
functions use (a host with the EFS mounted): the commands that answer a task token (`answer`,
`cancel`) read the token the handler stored there, as the cancel service or approvals page would.

## On an endpoint (moto server, LocalStack)

Put `--endpoint-url http://localhost:5000` before the command. The endpoint must run the Lambda
functions itself (LocalStack does, in containers; moto's server needs Docker for that). Timeouts
of days (TimeoutSeconds) take days there: the endpoint keeps real time.

## As `workflow-canvas run {workload} --scenario S --on real` does

It runs this directory inside moto's in-process mock (`moto.mock_aws`): the same deploy.py calls,
Lambda invocations answered by handlers.py, and the interpreter's waits (callback timeouts, Retry
back-offs, Wait states) on a virtual clock, so a 30-day wait takes milliseconds.
"""
