"""Issue 18's replay fidelity for every scenario of the three exported workloads, both ways:

(a) the exported temporalio workflow replays the replay engine's history of the scenario (written
    as Temporal's JSON, what `replay show --format temporal` prints) under temporalio's Replayer;
(b) the replay engine replays the real server's history of the scenario (checked in under
    histories/, recorded by tools/temporal/record_exports.py) with its own version of the workload,
    and that history's event types are the engine's own, event for event.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engines.replay.replayer import Replayer as EngineReplayer
from engines.replay.temporal_history import from_temporal_json
from tests.real.temporal.conftest import CASE_IDS, CASES, HISTORIES
from workloads.eject.temporal import export, mini_history, mini_steps
from workloads.expense_approval.replay import expense_workflow
from workloads.nightly_etl.replay import etl_workflow
from workloads.order_1001.replay import WORKFLOWS, order_workflow_v2
from workloads.runner import run_workload
from workloads.runs import WorkloadRun

#: the replay engine's version of each workload (deploy-v2's v1 order replays on v1 and on the gated v2)
ENGINE_CODE = {"order-1001": [WORKFLOWS, [order_workflow_v2]], "expense-approval": [[expense_workflow]],
               "nightly-etl": [[etl_workflow]]}
#: the exported temporalio workflow class that ran each scenario
TEMPORAL_CLASS = {"order-1001": "OrderWorkflow", "expense-approval": "ExpenseWorkflow", "nightly-etl": "NightlyEtlWorkflow"}

_mini: dict[tuple[str, str], WorkloadRun] = {}


def mini(workload: str, scenario: str) -> WorkloadRun:
    if (workload, scenario) not in _mini:
        _mini[workload, scenario] = run_workload(workload, "replay", scenario)
    return _mini[workload, scenario]


def recorded(workload: str, scenario: str) -> dict:
    return json.loads((HISTORIES / workload / f"{scenario}.json").read_text(encoding="utf-8"))


def temporal_class(workload: str, scenario: str) -> str:
    return "OrderWorkflowV2" if scenario == "deploy-v2" else TEMPORAL_CLASS[workload]


def test_every_scenario_has_a_recorded_history():
    assert sorted(p.relative_to(HISTORIES).as_posix() for p in HISTORIES.glob("*/*.json")) == \
        sorted(f"{w}/{s}.json" for w, s in CASES)


# --- (b) the engine replays the real server's histories ------------------------------------------------
@pytest.mark.parametrize("workload,scenario", CASES, ids=CASE_IDS)
def test_the_engine_replays_the_real_servers_history(workload: str, scenario: str):
    history = from_temporal_json(recorded(workload, scenario), f"{workload}/{scenario}.json")
    for code in ENGINE_CODE[workload]:
        result = EngineReplayer(code).replay_workflow(history)
        assert result.closed and result.matched_commands >= 2


@pytest.mark.parametrize("workload,scenario", CASES, ids=CASE_IDS)
def test_the_real_history_has_the_engines_event_sequence(workload: str, scenario: str):
    real = [str(e.event_type) for e in from_temporal_json(recorded(workload, scenario), scenario).events]
    assert real == mini_steps(mini(workload, scenario))


def test_the_crash_history_was_finished_by_a_second_worker():
    started = [e for e in recorded("order-1001", "crash")["events"]
               if e["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_STARTED"]
    identities = [e["workflowTaskStartedEventAttributes"]["identity"] for e in started]
    assert identities[0] == "order-1001-worker-1" and identities[-1] == "order-1001-worker-2"


# --- (a) temporalio replays the engine's histories ---------------------------------------------------
_SANDBOXED = """
import asyncio, importlib, json, os, sys
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

async def main():
    for line in sys.stdin:
        name, directory, cls, path = line.split()
        sys.path.insert(0, directory)  # as `python worker.py` in the export's directory
        for module in ("workflows", "activities", "canvas_services"):
            sys.modules.pop(module, None)
        workflows = importlib.import_module("workflows")
        data = json.load(open(path, encoding="utf-8"))
        r = await Replayer(workflows=[getattr(workflows, cls)]).replay_workflow(
            WorkflowHistory.from_json("wf", data), raise_on_replay_failure=False)
        sys.path.remove(directory)
        failure = r.replay_failure
        said = "ok" if failure is None else "FAIL " + " ".join(f"{type(failure).__name__}: {failure}".split())[:300]
        print("REPLAYED", name, said)

asyncio.run(main())
sys.stdout.flush()
os._exit(0)  # temporalio/sdk-python#300: the core's threads may abort the interpreter's own teardown
"""


@pytest.fixture(scope="module")
def sandboxed_replays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every engine history and every recorded real history, replayed by temporalio's Replayer with
    its default sandboxed runner against the export's workflow, each export from its own directory
    (what `python worker.py` runs), in one child process; name -> "ok" or the failure."""
    pytest.importorskip("temporalio", reason="the Temporal SDK is the `real` extra: pip install temporalio")
    tmp = tmp_path_factory.mktemp("temporal-replays")
    lines = []
    for workload, scenario in CASES:
        project = tmp / workload
        if not project.exists():
            export(workload, project)
        ours = tmp / f"{workload}-{scenario}.json"
        ours.write_text(json.dumps(mini_history(mini(workload, scenario))), encoding="utf-8")
        cls = temporal_class(workload, scenario)
        real = HISTORIES / workload / f"{scenario}.json"
        lines += [f"engine:{workload}/{scenario} {project} {cls} {ours}", f"real:{workload}/{scenario} {project} {cls} {real}"]
    changed = json.loads((HISTORIES / "order-1001" / "happy.json").read_text(encoding="utf-8"))
    for event in changed["events"]:  # the history says the first step was another activity type
        if event["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED":
            event["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "ChargeCardV0"
            break
    (tmp / "changed.json").write_text(json.dumps(changed), encoding="utf-8")
    lines.append(f"mismatch:order-code/changed-history {tmp / 'order-1001'} OrderWorkflow {tmp / 'changed.json'}")
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", _SANDBOXED], input="\n".join(lines) + "\n", cwd=tmp,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    replies = dict(line.split(" ", 2)[1:] for line in done.stdout.splitlines() if line.startswith("REPLAYED "))
    assert sorted(replies) == sorted(line.split()[0] for line in lines), done.stdout
    return replies


@pytest.mark.parametrize("workload,scenario", CASES, ids=CASE_IDS)
def test_temporalio_replays_the_engines_history(sandboxed_replays: dict[str, str], workload: str, scenario: str):
    assert sandboxed_replays[f"engine:{workload}/{scenario}"] == "ok"


@pytest.mark.parametrize("workload,scenario", CASES, ids=CASE_IDS)
def test_temporalio_replays_the_recorded_history_with_the_exported_code(sandboxed_replays: dict[str, str],
                                                                        workload: str, scenario: str):
    assert sandboxed_replays[f"real:{workload}/{scenario}"] == "ok"


def test_a_workflow_that_issues_other_commands_is_caught(sandboxed_replays: dict[str, str]):
    """The check can fail: a history whose first activity is of another type does not replay."""
    said = sandboxed_replays["mismatch:order-code/changed-history"]
    assert said.startswith("FAIL") and "nondetermin" in said.lower() and "ChargeCard" in said
