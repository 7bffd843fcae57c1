"""ORDER #1001's DAG under the three ways an Airflow sensor can wait, side by side.

The fair version of the DAG's best answer to a 30-day wait is a deferrable sensor: the triggerer
holds the wait, no worker slot does (Airflow's deferrable operators guide). What stays true in
every mode is the sensor's 7-day default timeout (BaseSensorOperator.timeout = 60*60*24*7), so the
order still times out on day 7 and ship and email go upstream_failed.
"""

from __future__ import annotations

import pytest

from engines.clock import day_of
from workloads.details import WaitMode
from workloads.options import RunOptions
from workloads.runner import run_workload


def _sensor(run):
    return next(g for g in run.dag.grid if g["task_id"] == "wait_30_days")


@pytest.mark.parametrize("mode", list(WaitMode))
def test_every_wait_mode_still_times_out_on_day_7(mode):
    run = run_workload("order-1001", "dag", "happy", options=RunOptions(mode=mode))
    assert run.dag.mode is mode
    assert str(_sensor(run)["state"]) == "failed"
    states = {g["task_id"]: str(g["state"]) for g in run.dag.grid}
    assert states["ship"] == states["email"] == "upstream_failed"
    assert run.outcome.shipped == 0 and run.outcome.charged_cents == 4200


def test_only_poke_holds_a_worker_slot_and_only_deferrable_never_pokes():
    poke, reschedule, deferred = (run_workload("order-1001", "dag", "happy", options=RunOptions(mode=m))
                                  for m in (WaitMode.POKE, WaitMode.RESCHEDULE, WaitMode.DEFERRABLE))
    assert _sensor(poke)["slot_seconds"] == 7 * 86400  # the whole wait on a worker
    assert _sensor(reschedule)["slot_seconds"] == 0 and reschedule.dag.pokes == poke.dag.pokes == 10_081
    assert _sensor(deferred)["slot_seconds"] == 0 and deferred.dag.pokes == 0  # the triggerer waits
    ended = [e for e in deferred.trace if e.subject == "wait_30_days" and "fail" in e.kind.lower()]
    assert ended and round(day_of(ended[-1].time)) == 7
