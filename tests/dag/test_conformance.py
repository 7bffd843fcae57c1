"""The DAG engine against real Airflow 3.3: 120 generated DAG files (branching, short-circuits,
all 13 trigger rules, dynamic task mapping, setup/teardown, retries, failures, skips), each run
by Airflow's own `dag.test()` (tools/airflow_conformance/record.py, answers checked in as
tests/dag/conformance/expected.json) and here with only the import lines changed. Every task
instance's state and try number, and the run's state, must agree; a known, explained difference
would be listed in conformance/EXPLAINED.json with the reason (there is none today)."""

import importlib.util
import json
from pathlib import Path

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.dag import DagError, Scheduler
from engines.inputs import read_user_text

HERE = Path(__file__).parent / "conformance"
EXPECTED = json.loads((HERE / "expected.json").read_text())
EXPLAINED = json.loads((HERE / "EXPLAINED.json").read_text()) if (HERE / "EXPLAINED.json").exists() else {}
BEGIN, END = "# --- imports: the only lines that differ under workflow-canvas ---", "# --- end of imports ---"
ENGINE_IMPORTS = ("from engines.dag import (DAG, AirflowSkipException, BranchPythonOperator, EmptyOperator,\n"
                  "                         PythonOperator, ShortCircuitOperator, task)\n")


def refused(dag_id: str) -> str | None:
    """Airflow's reason for refusing a DAG file (its DagBag import error), if it did."""
    for path, message in EXPECTED.get("import_errors", {}).items():
        if Path(path).stem == dag_id:
            return message.strip().splitlines()[-1]
    return None


def load_dag(path: Path, tmp_path: Path):
    """The DAG of an Airflow DAG file, its imports swapped for the engine's (and nothing else)."""
    text = read_user_text(path, "DAG file")
    head, rest = text.split(BEGIN, 1)
    _airflow_imports, tail = rest.split(END, 1)
    source = tmp_path / path.name
    source.write_text(head + BEGIN + "\n" + ENGINE_IMPORTS + END + tail)
    spec = importlib.util.spec_from_file_location(f"conformance_{path.stem}", source)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except DagError as exc:  # refused while the file is parsed (as Airflow's DagBag would)
        return _Refused(str(exc))
    return module.dag


class _Refused:
    """A DAG file the engine refused while parsing it: handing it to a Scheduler raises that error."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.dag_id = "refused"

    def check_cycle(self) -> None:
        raise DagError(self.message)

    validate = check_cycle


def engine_answer(dag) -> dict:
    """The run's and every task instance's state and try number, or the one-line error for a DAG
    the engine refuses (as Airflow's DagBag refuses it)."""
    try:
        s = Scheduler([dag], clock=VirtualClock(EPOCH))
    except DagError as exc:
        return {"error": str(exc)}
    run = s.test(dag.dag_id)
    tis = {key: {"state": str(ti.state), "try_number": ti.try_number} for key, ti in sorted(run.tis.items())}
    s.close()
    return {"run_state": str(run.state), "tis": tis}


CASES = sorted(EXPECTED["dags"])


def test_the_recorded_answers_are_real_airflow_3_3_and_enough():
    assert EXPECTED["airflow_version"].startswith("3.3.")
    assert len([c for c in CASES if "run_state" in EXPECTED["dags"][c]]) >= 100


@pytest.mark.parametrize("dag_id", CASES)
def test_engine_agrees_with_airflow(dag_id, tmp_path):
    expected = EXPECTED["dags"][dag_id]
    reason = refused(dag_id)
    if reason is not None:  # Airflow refused the file when it parsed it: the engine refuses it too
        with pytest.raises(DagError) as err:
            Scheduler([load_dag(HERE / "dags" / f"{dag_id}.py", tmp_path)], clock=VirtualClock(EPOCH))
        assert reason.split(": ", 1)[-1] in str(err.value)
        return
    got = engine_answer(load_dag(HERE / "dags" / f"{dag_id}.py", tmp_path))
    if dag_id in EXPLAINED:
        assert got == EXPLAINED[dag_id]["engine"], EXPLAINED[dag_id]["why"]
        return
    assert got == expected
