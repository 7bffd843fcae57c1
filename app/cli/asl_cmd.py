"""`workflow-canvas asl validate|run`: the state-machine engine for scripts and conformance checks.

`asl run` binds every Lambda function name to canned responses from a resources file, so a
definition written for Step Functions runs unchanged on the virtual clock:

    {"Charge": [{"Throw": {"Error": "ServiceUnavailable", "Cause": "503"}}, {"Return": {"ok": true}}],
     "AwaitApproval": {"Callback": {"Success": {"approved": true}}, "DelaySeconds": 3600}}

Each name maps to one response or a list used in order (the last one repeats): {"Echo": true}
(the default: return the payload), {"Return": json}, {"Throw": {"Error", "Cause"}},
{"Callback": {"Success": json} | {"Failure": {"Error", "Cause"}} | "Never"} (answers a
.waitForTaskToken task with the token found in the payload); any may add "DelaySeconds".
Exit codes: 0 the execution SUCCEEDED, 3 it ended otherwise (FAILED, ABORTED, TIMED_OUT, or
still RUNNING with nothing left to wake it), 1 bad input.

Both commands print a WARNING line (on stderr) for each field the definition uses that the
engine accepts but does not simulate as AWS would (Distributed Map child executions, ItemReader
and ResultWriter resources): nothing is silently ignored.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.args import bounded_float
from app.cli.common import CliError, add_db_option, check_db, parse_json_arg, print_json
from engines.inputs import read_user_text

RESPONSE_KINDS = ("Echo", "Return", "Throw", "Callback")
#: The longest virtual span `--stop-after` and a response's DelaySeconds may name: AWS's one-year
#: execution limit (a Standard execution is stopped there anyway), in seconds.
MAX_VIRTUAL_SECONDS = 366 * 86400


def register(subparsers) -> None:
    p = subparsers.add_parser("asl", help="Amazon States Language: validate and run state machines",
                              description="Validate and run Amazon States Language definitions on a virtual clock.")
    sub = p.add_subparsers(dest="asl_command", metavar="ACTION", required=True)
    v = sub.add_parser("validate", help="check a definition and list every problem")
    v.add_argument("file", type=Path, metavar="DEFINITION.json")
    v.set_defaults(handler=_validate)
    r = sub.add_parser("run", help="run a definition once, Lambda tasks answered from a resources file",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("file", type=Path, metavar="DEFINITION.json")
    r.add_argument("--input", metavar="FILE|JSON", help="execution input: a JSON file or JSON text (default {})")
    r.add_argument("--resources", type=Path, metavar="FILE", help="function name → responses (see above)")
    r.add_argument("--stop-after", type=bounded_float(0, MAX_VIRTUAL_SECONDS, unit="seconds"), metavar="SECONDS",
                   help="StopExecution after this many virtual seconds")
    add_db_option(r, "statemachine", in_memory=True)
    r.add_argument("--json", action="store_true", help="print status, output/error, events, waits, retry_delays as JSON")
    r.set_defaults(handler=_run)


def _validate(args) -> int:
    from engines.statemachine.validate import load_definition

    definition = load_definition(args.file)  # DefinitionError lists every problem; main prints it and exits 1
    _warn(args.file, definition)
    print(f"{args.file}: valid")
    return 0


def _warn(path: Path, definition: dict) -> None:
    import sys

    from engines.statemachine.distributed import warnings

    for line in warnings(definition):
        print(f"{path}: WARNING: {line}", file=sys.stderr)


def _json(text: str, where: str) -> Any:
    return parse_json_arg(text, where)


def _read_input(text: str | None) -> Any:
    if text is None:
        return {}
    p = Path(text)
    if not text.lstrip().startswith(("{", "[", '"')) and p.exists():
        text = read_user_text(p, "--input file")
        where = f"--input {p}"
    else:
        where = "--input"
    return _json(text, where)


def load_resources_file(path: Path) -> dict[str, list[dict]]:
    """Read and check a resources file; errors name the function and the response index."""
    data = _json(read_user_text(path, "resources file"), f"--resources {path}")
    if not isinstance(data, dict):
        raise CliError(f"--resources {path}: must be an object mapping function names to responses")
    out: dict[str, list[dict]] = {}
    for name, value in data.items():
        responses = value if isinstance(value, list) else [value]
        if not responses:
            raise CliError(f"--resources {path}: {name!r} has an empty list of responses")
        for i, r in enumerate(responses):
            where = f"--resources {path}: {name!r} response {i}"
            if not isinstance(r, dict):
                raise CliError(f"{where}: must be an object like {{\"Return\": …}}")
            kinds = [k for k in RESPONSE_KINDS if k in r]
            extra = set(r) - set(RESPONSE_KINDS) - {"DelaySeconds"}
            if len(kinds) > 1 or extra:
                raise CliError(f"{where}: use one of {', '.join(RESPONSE_KINDS)} (plus DelaySeconds); got {sorted(r)}")
            if "Throw" in r and not (isinstance(r["Throw"], dict) and isinstance(r["Throw"].get("Error"), str)):
                raise CliError(f"{where}: Throw needs {{\"Error\": \"Name\", \"Cause\": \"…\"}}")
            cb = r.get("Callback")
            if "Callback" in r and not (cb == "Never" or (isinstance(cb, dict) and len(cb) == 1 and
                                                          ("Success" in cb or isinstance(cb.get("Failure"), dict)))):
                raise CliError(f"{where}: Callback must be {{\"Success\": …}}, {{\"Failure\": {{\"Error\", \"Cause\"}}}} or \"Never\"")
            d = r.get("DelaySeconds", 0)
            if not isinstance(d, (int, float)) or isinstance(d, bool) or not 0 <= d <= MAX_VIRTUAL_SECONDS:
                raise CliError(f"{where}: DelaySeconds must be a number from 0 to {MAX_VIRTUAL_SECONDS} "
                               f"(a year of virtual time), not {d!r}")
        out[name] = responses
    return out


def _find_token(payload: Any) -> str | None:
    if isinstance(payload, dict):
        for k, v in payload.items():
            if "token" in k.lower() and isinstance(v, str):
                return v
        for v in payload.values():
            if (t := _find_token(v)) is not None:
                return t
    elif isinstance(payload, list):
        for v in payload:
            if (t := _find_token(v)) is not None:
                return t
    return None


def scripted_resources(script: dict[str, list[dict]]):
    """A Resources registry whose every function answers from the script (Echo when unlisted)."""
    from datetime import timedelta

    from engines.statemachine import Deferred, Resources, TaskFailed

    used: dict[str, int] = {}

    def answer(payload: Any, ctx) -> Any:
        responses = script.get(ctx.ref.name) or script.get(ctx.ref.arn) or [{"Echo": True}]
        i = used.get(ctx.ref.name, 0)
        used[ctx.ref.name] = i + 1
        r = responses[min(i, len(responses) - 1)]
        delay = float(r.get("DelaySeconds", 0))
        if "Callback" in r:
            cb, token, engine = r["Callback"], ctx.token or _find_token(payload), ctx.engine
            if cb != "Never" and token is not None:
                def send(_now=None) -> None:
                    if "Success" in cb:
                        engine.send_task_success(token, cb["Success"])
                    else:
                        engine.send_task_failure(token, cb["Failure"].get("Error"), cb["Failure"].get("Cause", ""))
                if delay:
                    engine.clock.call_later(timedelta(seconds=delay), send, "callback")
                else:
                    send()
            return payload
        if "Throw" in r:
            err = r["Throw"]
            if delay:
                return Deferred(delay, error=err["Error"], cause=err.get("Cause", ""))
            raise TaskFailed(err["Error"], err.get("Cause", ""))
        value = r["Return"] if "Return" in r else payload
        return Deferred(delay, value=value) if delay else value

    return Resources(fallback=answer)


def _run(args) -> int:
    from datetime import timedelta

    from engines.clock import EPOCH, VirtualClock
    from engines.statemachine import Engine, HistoryEventType
    from engines.statemachine.validate import load_definition

    definition = load_definition(args.file)
    _warn(args.file, definition)
    data = _read_input(args.input)
    script = load_resources_file(args.resources) if args.resources else {}
    from engines.statemachine.tables import SCHEMA_VERSION

    check_db(args.db, "statemachine", SCHEMA_VERSION)  # refused before a byte is written
    clock = VirtualClock(EPOCH)
    engine = Engine(args.db or ":memory:", clock, scripted_resources(script))
    name = args.file.stem
    version = engine.create_state_machine(name, definition)
    arn = engine.start_execution(name, data, version=version)
    if args.stop_after is not None:
        engine.run_until_idle(until=EPOCH + timedelta(seconds=args.stop_after))
        if engine.describe_execution(arn)["status"] == "RUNNING":
            engine.stop_execution(arn)
    else:
        engine.run_until_idle()
    d = engine.describe_execution(arn)
    trace = engine.recorder.events
    result: dict[str, Any] = {"status": d["status"]}
    if d["status"] == "SUCCEEDED":
        result["output"] = d["output"]
    elif d["status"] != "RUNNING":
        result["error"], result["cause"] = d["error"], d["cause"]
    result["events"] = [e.type for e in engine.get_execution_history(arn)]
    result["waits"] = [e.data["wait_seconds"] for e in trace if e.kind == HistoryEventType.WAIT_STATE_ENTERED and "wait_seconds" in e.data]
    result["retry_delays"] = [e.data["delay"] for e in trace if e.kind == "RetryScheduled"]
    if args.json:
        print_json(result)
    else:
        for e in trace:
            print(f"{e.time:%Y-%m-%d %H:%M:%S}  {e.kind:<28} {e.detail}")
        print(f"status: {d['status']}")
        if "output" in result:
            print("output: " + json.dumps(result["output"]))
        elif "error" in result:
            print(f"error: {result['error']}  cause: {result['cause']}")
    return 0 if d["status"] == "SUCCEEDED" else 3
