"""Run every conformance DAG under real Airflow 3.3 `dag.test()` and record what it decided.

    AIRFLOW_VENV=/work/peers/airflow-venv
    $AIRFLOW_VENV/bin/python tools/airflow_conformance/record.py \\
        --dags tests/dag/conformance/dags --out tests/dag/conformance/expected.json

Run it with the Python of a venv where `apache-airflow==3.3.*` is installed (never the app's
venv: Airflow is a peer, not a dependency). It makes a throw-away AIRFLOW_HOME (SQLite metadata
database, `airflow db migrate`), loads the DAG files with a DagBag and calls `dag.test()` on each
in one process, with that DAG's file alone in the dags folder (dag.test() re-parses the folder), then writes, per DAG: the run's state and
every task instance's state and try number keyed `task_id` or `task_id[map_index]`. The engine's
test (tests/dag/test_conformance.py) compares its own answers with these.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dags", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--reverse", action="store_true",
                    help="last file first (a second process can record from the other end; merge.py joins them)")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="airflow-conformance-"))
    dags_dir = home / "dags"
    dags_dir.mkdir()
    files = sorted(args.dags.glob("conf_*.py"), reverse=args.reverse)
    os.environ.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
                      AIRFLOW__CORE__DAGS_FOLDER=str(dags_dir), AIRFLOW__CORE__UNIT_TEST_MODE="False")
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    logging.disable(logging.CRITICAL)
    import airflow
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(args.dags.resolve()))
    out: dict = {"airflow_version": airflow.__version__, "how": __doc__.split("\n\n")[1].strip(), "dags": {}}
    if bag.import_errors:
        out["import_errors"] = {k: str(v)[-500:] for k, v in bag.import_errors.items()}
    for f in files:
        dag_id = f.stem
        dag = bag.get_dag(dag_id)
        if dag is None:
            out["dags"][dag_id] = {"error": "not loaded"}
            continue
        t = time.time()
        # dag.test() re-parses its whole bundle (the dags folder) on every call: give it this file alone
        for old in dags_dir.iterdir():
            old.unlink()
        shutil.copy(f, dags_dir / f.name)
        dr = dag.test()
        tis = {}
        for ti in dr.get_task_instances():
            key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            tis[key] = {"state": str(ti.state.value if hasattr(ti.state, "value") else ti.state),
                        "try_number": ti.try_number}
        state = dr.state.value if hasattr(dr.state, "value") else str(dr.state)
        out["dags"][dag_id] = {"run_state": state, "tis": dict(sorted(tis.items()))}
        print(f"{dag_id}: {state} ({time.time() - t:.1f} s)", flush=True)
        args.out.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
