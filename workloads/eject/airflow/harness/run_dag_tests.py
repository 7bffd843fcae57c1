"""Run exported DAG files under real Airflow 3.3 `dag.test()` on a travelled clock; print JSON.

    $AIRFLOW_VENV/bin/python run_dag_tests.py JOBS.json RESULTS.json

This script runs inside the Airflow virtual environment (never the app's: Airflow's pins clash
with ours); `workloads.eject.airflow.dag_test` starts it, with AIRFLOW_HOME, the dags folder and a
PYTHONPATH folder that holds only Workflow Canvas's `engines` and `workloads` packages already set.
It is never imported by the app.

Airflow has no time skipping: a poke-mode sensor really sleeps `poke_interval` seconds between
pokes, and dag.test() really sleeps a second at a time while a task waits out its retry_delay.
Virtual time is made the honest way: time-machine travels the whole process (datetime.now,
time.time, time.monotonic: everything Airflow reads) to day 0 of the scenario with the clock
stopped (on the main thread, time.monotonic, which a poke-mode sensor times its wait with,
follows it), and
`time.sleep` on the main thread moves the travelled clock forward by exactly the
seconds asked instead of blocking. Nothing else is changed: Airflow's own sensor loop, timeout
check, retry-period check and scheduling loop decide every state. A scenario's action (the
manager's answer, the KYC reviewer's decision, the customer's new documents, "Mark failed", a
new version of the DAG file) is done when the travelled clock
reaches its day, from inside whichever sleep crosses that moment, the way a person would act
while the run waits. One shortcut, which changes no decision: when dag.test() idles (its loop
sleeps a second at a time) only because task instances wait out their retry_delay, one sleep
takes the clock to the first retry time Airflow's own `next_retry_datetime()` gives; the
one-second polls it skips would each have found nothing to run. Each job's result is written as
soon as it is known. A job with several confs (a batch of uploads, one chunk a DAG run) is one
dag.test() per conf, one after another, each triggered a travelled second after the last ended.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
DAY = 86400.0
#: A bound on virtual time per job: no scenario of the bundled workloads runs past day 40.
VIRTUAL_LIMIT_DAYS = 60.0
KEEP = {"canvas_services.py", ".airflowignore"}
FINISHED = {"success", "failed", "skipped", "upstream_failed", "removed"}


class VirtualTimeExceeded(BaseException):
    """The travelled clock passed the job's bound: a DAG that never ends (raised past Airflow's
    `except Exception` handlers on purpose, so it stops the job instead of failing one task)."""


class Clock:
    """The travelled clock: sleeps on the main thread advance it; due actions fire on the way."""

    def __init__(self) -> None:
        import time_machine  # type: ignore[import-not-found, unused-ignore]

        self.traveller = time_machine.travel(EPOCH, tick=False)
        self.coordinates = self.traveller.start()
        self.real_sleep = time.sleep
        self.actions: list[tuple[float, dict, Any]] = []
        self.limit = EPOCH.timestamp() + VIRTUAL_LIMIT_DAYS * DAY
        time.sleep = self.sleep  # type: ignore[assignment]
        # time-machine 3 travels the wall clock only; a poke-mode sensor times its wait with
        # time.monotonic(), so the monotonic clock follows the travelled one (what time-machine 2.x did).
        # On the main thread only: the in-process Execution API's asyncio loop, in its own thread,
        # keeps the real monotonic clock for its own timers.
        real_monotonic, real_monotonic_ns, main = time.monotonic, time.monotonic_ns, threading.main_thread()

        def monotonic() -> float:
            return time.time() if threading.current_thread() is main else real_monotonic()

        def monotonic_ns() -> int:
            return time.time_ns() if threading.current_thread() is main else real_monotonic_ns()

        time.monotonic, time.monotonic_ns = monotonic, monotonic_ns

    def reset(self, actions: list[tuple[float, dict, Any]]) -> None:
        self.coordinates.move_to(EPOCH)
        self.actions = sorted(actions, key=lambda a: a[0])

    def sleep(self, seconds: float) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.real_sleep(seconds)  # helper threads (the Execution API's, the comms') keep real time
            return
        target = time.time() + max(float(seconds), 0.0)
        caller = sys._getframe(1)
        if caller.f_code is self._dag_test_code():
            target = max(target, self._next_retry(caller.f_locals) or target)
        while self.actions and self.actions[0][0] <= target:
            at, action, fire = self.actions.pop(0)
            self.coordinates.move_to(datetime.fromtimestamp(max(at, time.time()), timezone.utc))
            fire(action)
        if target > self.limit:
            raise VirtualTimeExceeded(f"the DAG run was still going on day {VIRTUAL_LIMIT_DAYS:g}")
        self.coordinates.move_to(datetime.fromtimestamp(max(target, time.time()), timezone.utc))

    @staticmethod
    def _dag_test_code() -> Any:
        from airflow.sdk.definitions.dag import DAG  # type: ignore[import-not-found, unused-ignore]

        return DAG.test.__code__

    @staticmethod
    def _next_retry(frame_locals: dict[str, Any]) -> float | None:
        """When dag.test() idles because every unfinished task instance waits out its retry_delay
        (the others wait for upstream tasks), the moment the first becomes ready, by Airflow's own
        TaskInstance.next_retry_datetime(). Each one-second wait until then would find nothing to
        run (NotInRetryPeriodDep), so the clock goes there in one sleep. None: sleep as asked."""
        from airflow.utils.state import TaskInstanceState  # type: ignore[import-not-found, unused-ignore]

        dr, session = frame_locals.get("dr"), frame_locals.get("session")
        if dr is None or session is None:
            return None
        try:
            unfinished = [ti for ti in dr.get_task_instances(session=session)
                          if ti.state is None or ti.state not in FINISHED]
            waiting = [ti for ti in unfinished if ti.state == TaskInstanceState.UP_FOR_RETRY]
            if not waiting or any(ti.state is not None and ti.state != TaskInstanceState.UP_FOR_RETRY
                                  for ti in unfinished):
                return None
            for ti in waiting:
                if getattr(ti, "task", None) is None:
                    ti.task = dr.dag.get_task(ti.task_id)
            return float(min(ti.next_retry_datetime() for ti in waiting).timestamp())
        except Exception:  # any doubt: Airflow's own one-second polling
            return None


def day_now() -> float:
    return round((time.time() - EPOCH.timestamp()) / DAY, 4)


def _state(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _counts(states: Iterable[str | None]) -> dict[str, int]:
    return dict(sorted(Counter(s or "none" for s in states).items()))


class Job:
    """One scenario: one DAG file in the dags folder, one world (CANVAS_DB), one dag.test()."""

    def __init__(self, spec: dict, dags_folder: Path, clock: Clock) -> None:
        self.spec = spec
        self.dags_folder = dags_folder
        self.clock = clock
        self.notes: list[str] = []
        self.dag_id: str = spec["dag_id"]

    # --- the scenario's actions -------------------------------------------------------------
    def _running_run(self, session: Any) -> Any:
        from airflow.models.dagrun import DagRun  # type: ignore[import-not-found, unused-ignore]
        from airflow.utils.state import DagRunState  # type: ignore[import-not-found, unused-ignore]
        from sqlalchemy import select  # type: ignore[import-not-found, unused-ignore]

        return session.scalar(select(DagRun).where(DagRun.dag_id == self.dag_id, DagRun.state == DagRunState.RUNNING))

    def fire(self, action: dict) -> None:
        getattr(self, "do_" + action["do"])(action)

    def do_answer(self, action: dict) -> None:
        """The manager answers: the decision lands in the approvals table the sensor pokes."""
        import canvas_services  # type: ignore[import-not-found, unused-ignore]

        from workloads.expense_approval import claim as c

        inbox = c.Inbox(canvas_services.store())
        if inbox.row(action["claim_id"]) is None:
            self.notes.append(f"the manager answered on day {day_now():g} before anyone asked")
            return
        inbox.answer(action["claim_id"], action["decision"], canvas_services.utcnow())
        self.notes.append(f"day {day_now():g}: the manager answered {action['decision']!r} (a row in exp_approvals)")

    def do_kyc_documents(self, action: dict) -> None:
        """The customer uploads a new document set: a row in kyc_documents, which nothing in the run reads."""
        import canvas_services  # type: ignore[import-not-found, unused-ignore]

        from workloads.kyc import case as k

        try:
            k.CaseFile(canvas_services.store()).receive_documents(int(action["version"]), canvas_services.utcnow())
        except k.KycError as exc:
            self.notes.append(f"day {day_now():g}: the upload of document set {action['version']} failed: {exc}")
            return
        self.notes.append(f"day {day_now():g}: the customer uploaded document set {action['version']} "
                          "(a row in kyc_documents)")

    def do_kyc_decision(self, action: dict) -> None:
        """The reviewer decides: the decision lands in the kyc_reviews row the sensor pokes."""
        import canvas_services  # type: ignore[import-not-found, unused-ignore]

        from workloads.kyc import case as k

        try:
            row = k.CaseFile(canvas_services.store()).decide(action["decision"], canvas_services.utcnow())
        except k.KycError as exc:
            self.notes.append(k.late_note("decision", day_now()) + f" ({exc})")
            return
        self.notes.append(f"day {day_now():g}: the reviewer decided {action['decision']!r} on documents "
                          f"v{row['decided_version']} (a row in kyc_reviews)")

    def do_mark_dag_run_failed(self, action: dict) -> None:
        """What the UI's and the REST API's "Mark failed" call: set_dag_run_state_to_failed."""
        from airflow.api.common.mark_tasks import set_dag_run_state_to_failed  # type: ignore[import-not-found, unused-ignore]
        from airflow.models.dagbag import DBDagBag  # type: ignore[import-not-found, unused-ignore]
        from airflow.utils.session import create_session  # type: ignore[import-not-found, unused-ignore]

        with create_session() as session:
            dr = self._running_run(session)
            if dr is None:
                self.notes.append(f"day {day_now():g}: mark failed: the DAG run had already ended")
                return
            sdag = DBDagBag().get_dag_for_run(dr, session=session)
            updated, killed = set_dag_run_state_to_failed(dag=sdag, run_id=dr.run_id, commit=True, session=session)
            self.notes.append(
                f"day {day_now():g}: marked the DAG run failed (set_dag_run_state_to_failed): "
                f"failed {sorted(t.task_id for t in killed) or 'none'}, "
                f"skipped {sorted(t.task_id for t in updated if t not in killed) or 'none'}")

    def do_kill_worker(self, action: dict) -> None:
        """A worker crash. dag.test() runs every task inside this very process: there is no
        separate worker to kill, so a crash while the run is going cannot be reproduced here."""
        from airflow.utils.session import create_session  # type: ignore[import-not-found, unused-ignore]

        with create_session() as session:
            running = self._running_run(session) is not None
        if running:
            self.notes.append(f"day {day_now():g}: worker crash NOT reproduced: dag.test() runs the task in its "
                              "own process, with no worker to kill")
        else:
            self.notes.append(f"day {day_now():g}: worker crash: the DAG run had already ended")

    def do_deploy(self, action: dict) -> None:
        """A new version of the DAG file lands in the dags folder and is parsed into the metadata
        DB, as the dag processor does (Airflow 3's default LocalDagBundle is unversioned)."""
        from airflow.dag_processing.bundles.manager import DagBundlesManager  # type: ignore[import-not-found, unused-ignore]
        from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db  # type: ignore[import-not-found, unused-ignore]

        shutil.copy(action["dag_file"], self.dags_folder / f"{self.dag_id}.py")
        for bundle in DagBundlesManager().get_all_dag_bundles():
            if not bundle.is_initialized:
                bundle.initialize()
            bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
            sync_bag_to_db(bag, bundle.name, bundle.version)
        self.notes.append(f"day {day_now():g}: deployed {Path(action['dag_file']).name} as {self.dag_id}.py and "
                          "parsed it into the metadata DB (a new DAG version)")

    # --- the run ----------------------------------------------------------------------------
    def run(self) -> dict:
        import canvas_services  # type: ignore[import-not-found, unused-ignore]
        from airflow.dag_processing.dagbag import DagBag  # type: ignore[import-not-found, unused-ignore]

        for old in self.dags_folder.iterdir():
            if old.name not in KEEP:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        shutil.copy(self.spec["dag_file"], self.dags_folder / f"{self.dag_id}.py")
        os.environ[canvas_services.DB_ENV] = self.spec["canvas_db"]
        canvas_services.store.cache_clear()
        canvas_services.services.cache_clear()
        actions = [(EPOCH.timestamp() + a["day"] * DAY, a, self.fire) for a in self.spec.get("actions", [])]
        self.clock.reset(actions)
        bag = DagBag(str(self.dags_folder))
        dag = bag.get_dag(self.dag_id)
        if dag is None:
            return {"error": f"{self.dag_id}.py did not load: {dict(bag.import_errors)}"}
        module = next(m for m in list(sys.modules.values())
                      if getattr(m, "__file__", None) and Path(str(m.__file__)).resolve() == Path(dag.fileloc).resolve())
        failures = int(self.spec.get("flaky_transform_failures", 0))
        if failures:  # the fault the mini-engine injects: the ETL tables' next transform tries fail
            module.etl_tables().failures_left = failures
        started = time.perf_counter()
        runs = []  # one DAG run per conf (a batch's chunks, one after another), else one with none
        for n, conf in enumerate(self.spec.get("confs") or [None]):
            if n:
                time.sleep(1.0)  # the next chunk is triggered a (travelled) second later: its own run_id
            runs.append(dag.test(logical_date=EPOCH + timedelta(seconds=n), run_conf=conf))
        dr = runs[0]
        wall = time.perf_counter() - started
        for _at, action, _fire in self.clock.actions:  # never reached: the run ended first
            self.notes.append(f"{action['do']} on day {action['day']:g}: not done, the DAG run had ended on day "
                              f"{day_now():g}")
        tis = {}
        for ti in dr.get_task_instances():
            key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            tis[key] = {"state": _state(ti.state), "try_number": ti.try_number,
                        "end_day": None if ti.end_date is None else round((ti.end_date - EPOCH).total_seconds() / DAY, 4)}
        dag_runs = [{"run_id": r.run_id, "state": _state(r.state), "conf": r.conf,
                     "task_states": _counts(_state(ti.state) for ti in r.get_task_instances()),
                     "tries_over_one": sum(1 for ti in r.get_task_instances() if ti.try_number > 1)} for r in runs]
        return {"run_id": dr.run_id, "run_state": _state(dr.state), "tis": tis, "dag_runs": dag_runs, "notes": self.notes,
                "end_day": day_now(), "dag_test_seconds": round(wall, 2)}


def main() -> None:
    jobs_file, out_file = Path(sys.argv[1]), Path(sys.argv[2])
    jobs = json.loads(jobs_file.read_text())
    dags_folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    sys.path.insert(0, str(dags_folder))
    logging.disable(logging.CRITICAL)
    clock = Clock()
    import airflow  # type: ignore[import-not-found, unused-ignore]

    out: dict[str, Any] = {"airflow_version": airflow.__version__, "results": {}}
    for spec in jobs:
        try:
            result = Job(spec, dags_folder, clock).run()
        except (Exception, VirtualTimeExceeded) as exc:
            result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]}
        out["results"][spec["key"]] = result
        out_file.write_text(json.dumps(out, indent=1, sort_keys=True))
        print(f"{spec['key']}: {result.get('run_state', result.get('error'))}", file=sys.__stderr__, flush=True)
    with contextlib.suppress(Exception):
        clock.traveller.stop()


if __name__ == "__main__":
    main()
