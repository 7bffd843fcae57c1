"""`run --on real` for Airflow: the exported DAG file under real Airflow 3.3's `dag.test()`.

The scenarios of a call share Airflow subprocesses in Airflow's own venv (see `venv`): at most
two side by side, each running many scenarios, one `dag.test()` each (a batch of uploads: one per
chunk; Airflow's import and its in-process Execution API cost seconds, paid once per process). Each process has its AIRFLOW_HOME
in `work_dir` with a copy of the once-migrated SQLite metadata DB; the exported DAG file goes
into its dags folder (dag.test() re-parses the folder), and every scenario gets its own world
file (CANVAS_DB) set up as the DAG engine's version sets up its own. The harness
(harness/run_dag_tests.py) travels the clock (time-machine; a sleep moves it forward, nothing
blocks) and does each scenario's action at its day. It answers in JSON: task_id -> state and try,
the DAG run's state; the ledger is read back here from the world file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engines.store import open_store
from workloads.eject.airflow import scenarios as plans
from workloads.eject.airflow.export import dag_file, export
from workloads.eject.airflow.venv import AirflowVenv, airflow_env, ensure_venv, metadata_db, pythonpath_folder
from workloads.eject.real import RealRun, RealRunError, RealSystem
from workloads.expense_approval import claim
from workloads.kyc import case as kyc
from workloads.nightly_etl.tables import EtlTables
from workloads.runs import WorkloadName
from workloads.services import Services
from workloads.thumbnails.images import ImageStore

HARNESS = Path(__file__).resolve().parent / "harness" / "run_dag_tests.py"
#: Bounds on one batch: Airflow's start (an import of ~2 s, the Execution API's first call ~4 s)
#: plus, per scenario, a generous allowance (a 7-day poke-mode sensor is ~10,000 pokes).
BATCH_BASE_TIMEOUT_S = 180.0
PER_SCENARIO_TIMEOUT_S = 120.0
VIRTUAL_TIME = ("virtual time: time-machine travels the Airflow process to day 0 with the clock stopped and "
                "time.monotonic following it; every time.sleep on the main thread (a poke-mode sensor's "
                "poke_interval, dag.test()'s one-second idle wait) moves the clock forward by the seconds asked "
                "instead of blocking, and an idle wait while tasks are up_for_retry goes to Airflow's own "
                "next_retry_datetime() in one step; Airflow's own code decides every state")


def run(workload: str, scenario: str, *, work_dir: Path, batch: plans.BatchSize | None = None) -> RealRun:
    """The exported `workload` under `scenario` on Airflow 3.3's dag.test() (one subprocess)."""
    return run_many([(workload, scenario)], work_dir=work_dir, batch=batch)[0]


def run_many(requests: Iterable[tuple[str, str]], *, work_dir: Path, processes: int | None = None,
             batch: plans.BatchSize | None = None) -> list[RealRun]:
    """Many (workload, scenario) runs, in the order asked, in at most `processes` Airflow
    subprocesses side by side (default: one per CPU, at most two; each pays Airflow's start once).
    `batch` runs thumbnail-fan-out's batch-1000 in a smaller size (scenarios.BatchSize).

    Every request is checked before anything runs. RealEngineUnavailable when the venv cannot be
    had; RealRunError when Airflow ran but a scenario could not be (its message says which).
    """
    requests = list(dict.fromkeys(requests))
    for workload, scenario in requests:
        plans.check(workload, scenario)
    if not requests:
        return []
    work_dir = Path(work_dir).resolve()
    if work_dir.exists() and not work_dir.is_dir():
        raise RealRunError(f"{work_dir}: the Airflow run's work directory is a file, not a directory")
    venv = ensure_venv()
    work_dir.mkdir(parents=True, exist_ok=True)
    migrated = metadata_db(venv)
    worlds_dir = work_dir / "worlds"
    worlds_dir.mkdir(exist_ok=True)
    exported: dict[str, Path] = {}
    jobs: list[tuple[plans.Plan, dict[str, Any]]] = []
    for workload, scenario in requests:
        if workload not in exported:  # the run uses the export itself, as a person would
            folder = work_dir / "export" / plans.dag_id(workload)
            if folder.exists():
                shutil.rmtree(folder)
            export(workload, folder)
            exported[workload] = folder / dag_file(workload).name
        v2 = None
        if workload == WorkloadName.ORDER_1001 and scenario == "deploy-v2":
            v2 = plans.write_v2(exported[workload], work_dir / "export" / "order_1001_v2.py")
        p = plans.plan(workload, scenario, worlds_dir / f"{workload}-{scenario}.db", v2, batch=batch)
        jobs.append((p, p.job(f"{workload}/{scenario}", exported[workload])))
    n = max(1, min(processes or min(2, os.cpu_count() or 1), len(jobs)))
    batches = [_Batch(work_dir / f"batch-{i}", venv, migrated, exported) for i in range(n)]
    for k, (_p, job) in enumerate(sorted(jobs, key=lambda j: -_cost(j[0]))):  # heaviest first, dealt in turn
        batches[k % n].jobs.append(job)
    answers: dict[str, Any] = {}
    pythonpath = pythonpath_folder(work_dir)
    for b in batches:
        b.start(pythonpath)
    try:
        for b in batches:
            answers.update(b.wait())
    finally:
        for b in batches:
            b.stop()
    return [_real_run(p, answers, venv) for p, _job in jobs]


def _cost(p: plans.Plan) -> float:
    """A rough share of a batch's time, to balance the batches: a week of one-minute pokes (ORDER
    #1001's sensor until its 7-day timeout) costs most, the expense sensor's 3 days next."""
    if p.workload == WorkloadName.ORDER_1001 and p.scenario != "declined":
        return 1.0
    if p.workload == WorkloadName.THUMBNAILS:
        return 0.3 * sum(len(c["upload_ids"]) for c in p.confs)
    if p.workload == WorkloadName.KYC and p.scenario == "no-answer":
        return 2.0  # 14 days of one-minute pokes
    if p.workload == WorkloadName.KYC:
        return 0.8
    if p.workload == WorkloadName.EXPENSE_APPROVAL and p.scenario == "no-answer":
        return 0.5
    return 0.3


class _Batch:
    """One Airflow subprocess: its own AIRFLOW_HOME (a copy of the migrated metadata DB) and jobs."""

    def __init__(self, folder: Path, venv: AirflowVenv, migrated: Path, exported: dict[str, Path]) -> None:
        self.folder, self.venv = folder, venv
        self.home = folder / "airflow_home"
        self.jobs: list[dict[str, Any]] = []
        self.proc: subprocess.Popen[bytes] | None = None
        if self.home.exists():
            shutil.rmtree(self.home)
        (self.home / "dags").mkdir(parents=True)
        shutil.copyfile(migrated, self.home / "airflow.db")
        for dag in exported.values():
            for name in ("canvas_services.py", ".airflowignore"):
                shutil.copyfile(dag.parent / name, self.home / "dags" / name)
        self.jobs_file, self.out_file, self.log_file = folder / "jobs.json", folder / "results.json", folder / "dag_test.log"
        self.timeout = BATCH_BASE_TIMEOUT_S

    def start(self, pythonpath: Path) -> None:
        self.jobs_file.write_text(json.dumps(self.jobs, indent=1))
        self.out_file.unlink(missing_ok=True)
        runs = sum(max(1, len(job.get("confs") or ())) for job in self.jobs)  # a batch's chunks: a DAG run each
        self.timeout = BATCH_BASE_TIMEOUT_S + PER_SCENARIO_TIMEOUT_S * runs
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV"))}
        env.update(airflow_env(self.home), PYTHONPATH=str(pythonpath), PYTHONDONTWRITEBYTECODE="1")
        with self.log_file.open("wb") as log:
            self.proc = subprocess.Popen([str(self.venv.python), str(HARNESS), str(self.jobs_file), str(self.out_file)],
                                         env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
        self.started = time.monotonic()

    def wait(self) -> dict[str, Any]:
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout=max(1.0, self.timeout - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            raise RealRunError(f"Airflow's dag.test() batch of {len(self.jobs)} scenario(s) ran over {self.timeout:g} s "
                               f"and was stopped; its log: {self.log_file}") from None
        if not self.out_file.exists():
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-3:]
            raise RealRunError(f"Airflow's dag.test() harness exited {rc} before any result; "
                               f"{self.log_file}: {' | '.join(tail)[-400:]}")
        answer: dict[str, Any] = json.loads(self.out_file.read_text())
        self.airflow_version = str(answer.get("airflow_version", ""))
        return {key: {**result, "airflow_version": self.airflow_version} for key, result in answer["results"].items()}

    def stop(self) -> None:
        """Never leave an Airflow process behind (a batch over its time, or an error elsewhere)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


def _real_run(p: plans.Plan, results: dict[str, Any], venv: AirflowVenv) -> RealRun:
    key = f"{p.workload}/{p.scenario}"
    result = results.get(key)
    if result is None:
        raise RealRunError(f"{key} on Airflow: the harness stopped before this scenario ran")
    if "error" in result:
        raise RealRunError(f"{key} on Airflow dag.test(): {result['error']}")
    steps = {task: ti["state"] or "none" for task, ti in sorted(result["tis"].items())}
    store = open_store(p.world)
    try:
        services = Services(store)
        ledger_key = plans.LEDGER_KEYS[p.workload]
        ledger = services.ledger(ledger_key)
        output: Any
        if p.workload == WorkloadName.NIGHTLY_ETL:
            output = {"warehouse": EtlTables(store).warehouse()}
        elif p.workload == WorkloadName.EXPENSE_APPROVAL:
            output = {"decision": claim.Inbox(store).decision(claim.CLAIM_ID),
                      "paid_out_cents": ledger.paid_out_cents(claim.CLAIM_ID)}
        elif p.workload == WorkloadName.KYC:
            case = kyc.CaseFile(store)
            review = case.review()
            output = {"decision": review and review["decision"], "decided_version": review and review["decided_version"],
                      "escalated": review is not None and review["escalated_at"] is not None,
                      "unchecked_versions": case.unchecked_versions()}
        elif p.workload == WorkloadName.THUMBNAILS:
            output = {**ImageStore(store).counts(), "retried": ImageStore(store).retried()}
        else:
            output = {"run_state": result["run_state"]}
        counts = ledger.counts(ledger_key)
    finally:
        store.close()
    history = {"run_id": result["run_id"], "run_state": result["run_state"], "task_instances": result["tis"],
               "dag_runs": result.get("dag_runs", []), "ended_on_day": result["end_day"]}
    return RealRun(system=RealSystem.AIRFLOW, workload=p.workload, scenario=p.scenario, status=result["run_state"],
                   ledger=counts, steps=steps, history=history, output=output,
                   engine_version=f"Airflow {result.get('airflow_version') or venv.airflow_version} dag.test() "
                                  f"in {venv.path}",
                   notes=[*result.get("notes", []), *_runs_note(history["dag_runs"]), VIRTUAL_TIME])


def _runs_note(dag_runs: list[dict[str, Any]]) -> list[str]:
    """A batch is several DAG runs: `status` and `steps` are the first's (as the DAG engine's run
    shows its first), this says how every one ended."""
    if len(dag_runs) < 2:
        return []
    ended: dict[str, int] = {}
    for r in dag_runs:
        ended[str(r["state"])] = ended.get(str(r["state"]), 0) + 1
    return [f"{len(dag_runs)} DAG runs, one after another under dag.test() (a scheduler would run up to "
            f"max_active_runs at once); they ended: {', '.join(f'{n} {state}' for state, n in sorted(ended.items()))}; "
            "status and steps are the first run's"]
