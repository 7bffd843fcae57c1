"""One Airflow batch for the whole session: every scenario of the exported workloads, run once.

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
#: Cards E and F (test_cards_def.py), in the same batch: each Airflow process pays its start once.
DEF_CASES = [("kyc-review", "approved"), ("kyc-review", "new-documents"), ("kyc-review", "no-answer"),
             ("thumbnail-fan-out", "one-upload"), ("thumbnail-fan-out", "flaky-size")]
#: batch-1000 in a smaller size (test_cards_def.py says why): 3 uploads, 2 per DAG run.
SMALL_BATCH_UPLOADS, SMALL_BATCH_CHUNK = 3, 2


@pytest.fixture(scope="session")
def airflow_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], RealRun]:
    from workloads.eject.airflow import run_many
    from workloads.eject.airflow.scenarios import BatchSize

    try:
        runs = run_many([*CASES, *DEF_CASES, ("thumbnail-fan-out", "batch-1000")],
                        work_dir=tmp_path_factory.mktemp("airflow-real"),
                        batch=BatchSize(uploads=SMALL_BATCH_UPLOADS, chunk=SMALL_BATCH_CHUNK))
    except RealEngineUnavailable as exc:
        pytest.skip(str(exc))
    return {(r.workload, r.scenario): r for r in runs}
