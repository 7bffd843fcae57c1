"""Eject to real Airflow 3.3: each workload as an Airflow 3 DAG file, run under `dag.test()`.

    export(workload, out_dir)          the DAG file, canvas_services.py, .airflowignore, README.md
    run(workload, scenario, work_dir=) the exported DAG under Airflow 3.3's dag.test() -> RealRun
    mini_steps(run), mini_status(run)  the DAG engine's run in the same projection and words

The exported DAG has the same task_ids as the DAG engine's version (workloads/<w>/dag.py), so a
run compares task by task: task_id -> state, and the DAG run's state word (success / failed).
Airflow itself lives in its own virtual environment (`venv`), never in ours; nothing here imports
it. `run_many` batches scenarios into one Airflow process (its start costs seconds).

Exported: ORDER #1001, the nightly ETL, the expense approval, the KYC review and the thumbnail
fan-out (its batch-1000 as one DAG run per chunk of 50 uploads, `scenarios.BatchSize` to run a
smaller batch). Not yet: the subscription renewal, whose 36 monthly runs are the scheduler's
catchup, which dag.test() (one DAG run) does not do.
"""

from __future__ import annotations

from engines.dag import DagRunState, TaskInstanceState
from workloads.eject.airflow.dag_test import run, run_many
from workloads.eject.airflow.export import export
from workloads.eject.airflow.scenarios import DAG_IDS, BatchSize
from workloads.runs import WorkloadRun

__all__ = ["SUPPORTED", "BatchSize", "export", "mini_status", "mini_steps", "run", "run_many"]

#: The workloads exported to Airflow.
SUPPORTED: tuple[str, ...] = tuple(str(w) for w in DAG_IDS)


def mini_steps(run: WorkloadRun) -> dict[str, str]:
    """The DAG engine's task-instance grid as Airflow's: task_id -> the task instance's final state."""
    return {task: TaskInstanceState(state).value for task, state in sorted(run.dag.task_states.items())}


def mini_status(run: WorkloadRun) -> str:
    """The DAG engine's run in Airflow's word for a DAG run's state (success, failed, running, queued)."""
    return DagRunState(run.dag.run_state).value
