"""The workload registry, the options each version takes, and the typed record a run returns."""

from __future__ import annotations

import importlib
import inspect
from datetime import timedelta

import pytest

from engines.dag import SensorMode
from engines.trace import ENGINES, OutcomeStatus
from workloads.details import DagDetails, ReplayDetails, StatemachineDetails
from workloads.expense_approval.observations import ExpenseObservations
from workloads.kyc.observations import KycObservations
from workloads.nightly_etl.observations import EtlObservations
from workloads.options import Option, RunOptions
from workloads.order_1001.observations import OrderObservations
from workloads.registry import WORKLOADS, UnknownWorkloadError, versions, workload_version
from workloads.runner import run_workload
from workloads.runs import RunShapeError, WorkloadName
from workloads.subscription.observations import SubscriptionObservations
from workloads.thumbnails.observations import ThumbnailObservations

OBSERVATIONS = {WorkloadName.ORDER_1001: OrderObservations, WorkloadName.NIGHTLY_ETL: EtlObservations,
                WorkloadName.EXPENSE_APPROVAL: ExpenseObservations, WorkloadName.SUBSCRIPTION: SubscriptionObservations,
                WorkloadName.KYC: KycObservations, WorkloadName.THUMBNAILS: ThumbnailObservations}
DETAILS = {"replay": ReplayDetails, "dag": DagDetails, "statemachine": StatemachineDetails}


def test_every_workload_is_registered_once_per_engine():
    assert set(WORKLOADS) == set(WorkloadName)
    for name, by_engine in WORKLOADS.items():
        assert tuple(by_engine) == ENGINES
        for engine, version in by_engine.items():
            assert (version.name, version.engine) == (name, engine)
            assert version.scenarios


def test_a_version_takes_only_options_its_run_function_has():
    for by_engine in WORKLOADS.values():
        for version in by_engine.values():
            module = importlib.import_module(version.entry.__module__)
            params = set(inspect.signature(module.run).parameters)
            assert {str(o) for o in version.takes} <= params, (version.name, version.engine)
            assert {"db", "listener"} <= params


def test_unknown_names_list_the_choices():
    with pytest.raises(UnknownWorkloadError, match="choose one of: order-1001, nightly-etl, expense-approval"):
        versions("payroll")
    with pytest.raises(UnknownWorkloadError, match="choose one of: replay, dag, statemachine"):
        workload_version("order-1001", "cron")


def test_options_reach_the_version_that_takes_them():
    timeout = RunOptions(sensor_timeout=timedelta(days=30), mode=SensorMode.RESCHEDULE)
    dag = run_workload("order-1001", "dag", "happy", options=timeout)
    assert dag.outcome.shipped == 1 and dag.dag.slot_seconds_by_task["wait_30_days"] == 0
    assert dag.dag.mode == "reschedule" and dag.dag.sensor_timeout_seconds == 30 * 86_400
    stop = run_workload("order-1001", "statemachine", "cancel", options=RunOptions(plain_stop=True))
    assert stop.outcome.refunded_cents == 0 and stop.statemachine.execution_status == "ABORTED"
    keyless = run_workload("order-1001", "replay", "happy", options=RunOptions(idempotency=False))
    assert keyless.observed_as(OrderObservations).idempotency_keys is False


def test_options_a_version_does_not_take_are_not_read():
    assert Option.PLAIN_STOP not in workload_version("order-1001", "replay").takes
    run = run_workload("order-1001", "replay", "happy", options=RunOptions(plain_stop=True, mode=SensorMode.RESCHEDULE))
    assert run.outcome.status is OutcomeStatus.COMPLETED


def test_the_day_given_as_an_option_is_checked_like_the_keyword():
    with pytest.raises(UnknownWorkloadError, match="takes no --day"):
        run_workload("nightly-etl", "replay", "happy", options=RunOptions(day=2))
    assert run_workload("order-1001", "dag", "cancel", options=RunOptions(day=5)).observed_as(OrderObservations).day == 5


@pytest.mark.parametrize("workload", list(WorkloadName))
@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_carries_its_engines_details_and_its_workloads_observations(workload, engine):
    version = workload_version(workload, engine)
    run = version.run(version.scenarios[0], RunOptions())
    assert type(run.details) is DETAILS[engine] and type(run.observed) is OBSERVATIONS[workload]
    assert run.workload == workload and run.engine == engine
    assert getattr(run, engine) is run.details
    assert run.observed_as(OBSERVATIONS[workload]) is run.observed


def test_asking_a_run_for_what_it_has_not_is_a_named_error():
    run = run_workload("nightly-etl", "replay", "happy")
    with pytest.raises(RunShapeError, match="has ReplayDetails, not DagDetails"):
        run.dag
    with pytest.raises(RunShapeError, match="observed EtlObservations, not OrderObservations"):
        run.observed_as(OrderObservations)
