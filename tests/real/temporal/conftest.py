"""The Temporal side of issue 18: one dev server per test process, each scenario run on it once.

`real_run(workload, scenario)` runs the exported workload on the Temporal CLI's dev server
(`workloads.eject.temporal.run`) the first time a test asks for it and hands the same RealRun to
every later test; when the real engine cannot be had here the test is skipped with the reason
RealEngineUnavailable gives (never passed silently).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workloads.eject.real import RealEngineUnavailable, RealRun
from workloads.eject.temporal import SUPPORTED
from workloads.runner import scenarios

HISTORIES = Path(__file__).parent / "histories"
#: issue 18's three workloads (their real histories are recorded under histories/); cards D, E and F,
#: exported since, are tested in test_cards_def.py
ISSUE_18 = ("order-1001", "expense-approval", "nightly-etl")
#: every scenario of those workloads
CASES = [(workload, scenario) for workload in SUPPORTED if workload in ISSUE_18 for scenario in scenarios(workload)]
CASE_IDS = [f"{w}-{s}" for w, s in CASES]


@pytest.fixture(scope="session")
def temporal_work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("temporal-real")


@pytest.fixture(scope="session")
def real_run(temporal_work_dir: Path) -> Callable[..., RealRun]:
    runs: dict[tuple[str, str, float | None], RealRun | RealEngineUnavailable] = {}

    def get(workload: str, scenario: str, day: float | None = None) -> RealRun:
        from workloads.eject.temporal import run

        if (workload, scenario, day) not in runs:
            try:
                runs[workload, scenario, day] = run(workload, scenario, work_dir=temporal_work_dir, day=day)
            except RealEngineUnavailable as exc:
                runs[workload, scenario, day] = exc
        got = runs[workload, scenario, day]
        if isinstance(got, RealEngineUnavailable):
            pytest.skip(str(got))
        return got

    return get
