"""The Distributed Map's fields, simulated locally, and plain warnings for what is not.

A Map whose `ItemProcessor.ProcessorConfig.Mode` is `DISTRIBUTED` runs here like any Map, with
(https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html):

- `ItemReader`: its Resource (`arn:aws:states:::s3:getObject`, `s3:listObjectsV2`, …) is a
  local resource like a Task's: the callable bound to `s3:getObject` gets the reader's
  Parameters and returns the items (a list), or the object's text, read as ReaderConfig's
  InputType says (JSON, JSONL, CSV with a header row); ReaderConfig.MaxItems caps them. With
  nothing bound the Map fails with States.ItemReaderFailed, saying what to bind.
- `ItemBatcher`: items (after ItemSelector) go in batches of MaxItemsPerBatch and at most
  MaxInputBytesPerBatch, each `{"BatchInput": …, "Items": [...]}` (state-map-distributed.html,
  "ItemBatcher").
- `MaxConcurrencyPath`, `ToleratedFailureCountPath`, `ToleratedFailurePercentagePath`: read from
  the Map's input like every other `…Path`.
- `MapRunStarted` / `MapRunSucceeded` / `MapRunFailed` in the execution's history.
- `ResultWriter`: its Resource (`s3:putObject`) is a local resource that gets the results; the
  Map's output is then `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}` as in AWS.

Not simulated, and said so by `warnings()` (printed by `asl validate` and `asl run`): each
iteration is a child workflow execution in AWS, with a history of its own; here the iterations
run inside the one execution, so their events go into its history and count toward its 25,000.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Callable

from engines.statemachine.errors import RUNTIME, StatemachineError, StatesError
from engines.statemachine.resources import ResourceRef, Resources, TaskContext, parse_resource
from engines.statemachine.quotas import MAX_PAYLOAD_BYTES, payload_bytes

READER_FAILED = "States.ItemReaderFailed"
WRITER_FAILED = "States.ResultWriterFailed"
#: A Distributed Map's default (and largest) concurrency: "up to 10,000 parallel child workflow executions".
DISTRIBUTED_CONCURRENCY = 10_000


def is_distributed(state: dict) -> bool:
    proc = state.get("ItemProcessor") or state.get("Iterator") or {}
    config = proc.get("ProcessorConfig") if isinstance(proc, dict) else None
    return isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED"


def warnings(definition: Any) -> list[str]:
    """What a definition asks for that this engine accepts but does not simulate, one line each, naming the field."""
    out: list[str] = []

    def walk(block: Any, prefix: str) -> None:
        states = block.get("States") if isinstance(block, dict) else None
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            label = f"state {prefix + name!r}"
            if state.get("Type") == "Map":
                proc = state.get("ItemProcessor") or state.get("Iterator") or {}
                if is_distributed(state):
                    config = proc.get("ProcessorConfig") or {}
                    out.append(f"{label}: field 'ItemProcessor.ProcessorConfig.Mode' DISTRIBUTED: the child workflow "
                               "executions are simulated inside this execution (their events go into its history and "
                               "count toward its 25,000), not as executions of their own")
                    if config.get("ExecutionType") == "EXPRESS":
                        out.append(f"{label}: field 'ItemProcessor.ProcessorConfig.ExecutionType' EXPRESS: the children "
                                   "run with Standard semantics here (exactly once, no 5-minute limit)")
                for field in ("ItemReader", "ResultWriter"):
                    if field in state:
                        res = state[field].get("Resource") if isinstance(state[field], dict) else None
                        out.append(f"{label}: field '{field}': {res or 'its Resource'} runs as a local resource: "
                                   f"bind a callable to {_lookup_name(res)!r}, or the Map fails with "
                                   f"{READER_FAILED if field == 'ItemReader' else WRITER_FAILED}")
                if isinstance(state.get("ItemReader"), dict) and "ReaderConfig" in state["ItemReader"]:
                    kind = (state["ItemReader"]["ReaderConfig"] or {}).get("InputType")
                    if kind not in (None, "JSON", "JSONL", "CSV"):
                        out.append(f"{label}: field 'ItemReader.ReaderConfig.InputType' {kind}: not read here "
                                   "(JSON, JSONL and CSV are); the bound callable must return the items as a list")
                walk(proc, f"{prefix}{name}.ItemProcessor.")
            for i, branch in enumerate(state.get("Branches") or [] if isinstance(state.get("Branches"), list) else []):
                walk(branch, f"{prefix}{name}.Branches[{i}].")

    walk(definition, "")
    return out


def _lookup_name(resource: Any) -> str:
    return parse_resource(resource).name if isinstance(resource, str) else "the resource"


ContextOf = Callable[[ResourceRef], TaskContext]


def _call(resources: Resources, resource: Any, payload: Any, ctx_of: ContextOf, error: str, what: str) -> Any:
    if not isinstance(resource, str):
        raise StatesError(error, f"{what} has no Resource")
    ref: ResourceRef = parse_resource(resource)
    try:
        fn = resources.resolve(ref)
    except StatemachineError as exc:
        raise StatesError(error, f"{what}: {exc}") from None
    try:
        return fn(payload, ctx_of(ref))
    except StatesError:
        raise
    except Exception as exc:  # the resource's failure is the reader's / writer's failure
        raise StatesError(error, f"{what}: {type(exc).__name__}: {exc}") from None


def read_items(resources: Resources, reader: dict, parameters: Any, ctx_of: ContextOf) -> list[Any]:
    """The items an ItemReader's local resource gives, read per ReaderConfig and capped by its MaxItems."""
    got = _call(resources, reader.get("Resource"), parameters, ctx_of, READER_FAILED, "ItemReader")
    config = reader.get("ReaderConfig") or {}
    kind = config.get("InputType", "JSON")
    if isinstance(got, (bytes, bytearray)):
        got = got.decode("utf-8", "replace")
    if isinstance(got, str):
        try:
            if kind == "CSV":
                rows = csv.reader(io.StringIO(got), delimiter=config.get("CSVDelimiter", ",") if
                                  config.get("CSVDelimiter") in (",", "\t", ";", "|", " ") else ",")
                given = config.get("CSVHeaders") if config.get("CSVHeaderLocation") == "GIVEN" else None
                header: list[str] = list(given) if isinstance(given, list) else next(rows, [])
                got = [dict(zip(header, row)) for row in rows]
            elif kind == "JSONL":
                got = [json.loads(line) for line in got.splitlines() if line.strip()]
            else:
                got = json.loads(got)
        except (ValueError, RecursionError, csv.Error) as exc:
            raise StatesError(READER_FAILED, f"ItemReader: the object is not valid {kind}: {exc}") from None
    if not isinstance(got, list):
        raise StatesError(READER_FAILED, f"ItemReader: the resource must give an array of items, got {type(got).__name__}")
    limit = config.get("MaxItems")
    return got[:limit] if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else got


def batches(items: list[Any], batcher: dict, read: Any) -> list[dict[str, Any]]:
    """ItemBatcher: `{"BatchInput"?, "Items": [...]}` of at most MaxItemsPerBatch items and MaxInputBytesPerBatch bytes.

    `read(field)` gives a `…Path` field's value from the Map's input.
    """
    def number(field: str) -> int | None:
        v = read(field + "Path") if field + "Path" in batcher else batcher.get(field)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise StatesError(RUNTIME, f"ItemBatcher field '{field}' must be a positive integer, got {v!r}")
        return v

    most = number("MaxItemsPerBatch")
    cap = min(number("MaxInputBytesPerBatch") or MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES)
    head = {"BatchInput": batcher["BatchInput"]} if "BatchInput" in batcher else {}
    out: list[dict[str, Any]] = []
    current: list[Any] = []
    size = payload_bytes(head) + len('"Items":[]')
    for item in items:
        n = payload_bytes(item) + 1
        if current and ((most is not None and len(current) >= most) or size + n > cap):
            out.append({**head, "Items": current})
            current, size = [], payload_bytes(head) + len('"Items":[]')
        current.append(item)
        size += n
    if current:
        out.append({**head, "Items": current})
    return out


def write_results(resources: Resources, writer: dict, parameters: Any, results: list[Any], map_run: str,
                  ctx_of: ContextOf) -> dict[str, Any]:
    """ResultWriter: hand the results to its local resource; the Map's output names where they went."""
    params = parameters if isinstance(parameters, dict) else {}
    _call(resources, writer.get("Resource"), {**params, "Results": results}, ctx_of, WRITER_FAILED, "ResultWriter")
    prefix = str(params.get("Prefix", "")).rstrip("/")
    key = f"{prefix}/{map_run.rsplit(':', 1)[-1]}/manifest.json".lstrip("/")
    return {"MapRunArn": map_run, "ResultWriterDetails": {"Bucket": params.get("Bucket"), "Key": key}}
