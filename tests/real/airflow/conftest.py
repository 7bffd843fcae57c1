"""One Airflow batch for the whole session: every scenario of the three workloads, run once.

Airflow 3.3 starts slowly (its import and its in-process Execution API cost seconds), so the
scenarios share one `run_many` call: at most two Airflow subprocesses side by side. When Airflow's
venv cannot be had here (no network to create it, no uv or pip), every test that needs it skips
with the reason RealEngineUnavailable gives.
"""

from __future__ import annotations

import pytest

from workloads.eject.real import RealEngineUnavailable, RealRun
from workloads.runner import scenarios

WORKLOADS = ("order-1001", "nightly-etl", "expense-approval")
CASES = [(w, s) for w in WORKLOADS for s in scenarios(w)]


@pytest.fixture(scope="session")
def airflow_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], RealRun]:
    from workloads.eject.airflow import run_many

    try:
        runs = run_many(CASES, work_dir=tmp_path_factory.mktemp("airflow-real"))
    except RealEngineUnavailable as exc:
        pytest.skip(str(exc))
    return {(r.workload, r.scenario): r for r in runs}
