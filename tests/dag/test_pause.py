"""Pausing a DAG (`airflow dags pause`): is_paused on file, no new scheduled runs, catchup on unpause."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.clock import EPOCH, VirtualClock
from engines.dag import DAG, DagError, EmptyOperator, Scheduler


def daily(**kw):
    with DAG("daily", schedule="@daily", start_date=EPOCH, catchup=True, **kw) as dag:
        EmptyOperator("t")
    return dag


def dates(s):
    return [r.logical_date for r in s.runs.values()]


def test_a_paused_dag_gets_no_new_runs_and_unpausing_catches_up(make_scheduler):
    s = make_scheduler(daily())
    s.advance(timedelta(days=2))
    assert dates(s) == [EPOCH + timedelta(days=d) for d in (0, 1, 2)]
    s.pause_dag("daily")
    assert s.is_paused("daily")
    s.advance(timedelta(days=3))
    assert len(s.runs) == 3  # days 3, 4 and 5 passed with no run
    s.unpause_dag("daily")
    assert not s.is_paused("daily")
    s.step()
    # catchup=True: every point missed while paused gets its run, in order, once
    assert dates(s) == [EPOCH + timedelta(days=d) for d in range(6)]
    assert all(r.state == "success" for r in s.runs.values())


def test_unpausing_without_catchup_runs_only_the_latest_point(make_scheduler):
    with DAG("daily", schedule="@daily", start_date=EPOCH, catchup=False) as dag:
        EmptyOperator("t")
    s = make_scheduler(dag)
    s.step()
    s.pause_dag("daily")
    s.advance(timedelta(days=4))
    s.unpause_dag("daily")
    s.step()
    assert dates(s) == [EPOCH, EPOCH + timedelta(days=4)]


def test_is_paused_survives_a_restart(tmp_path):
    db = tmp_path / "meta.db"
    s = Scheduler([daily()], clock=VirtualClock(EPOCH), db=db)
    s.step()
    s.pause_dag("daily")
    s.close()
    s2 = Scheduler([daily()], clock=VirtualClock(EPOCH), db=db)
    assert s2.is_paused("daily")
    s2.advance(timedelta(days=3))
    assert len(s2.runs) == 1
    s2.unpause_dag("daily")
    s2.step()
    assert len(s2.runs) == 4
    s2.close()


def test_is_paused_upon_creation(make_scheduler):
    s = make_scheduler(daily(is_paused_upon_creation=True))
    s.advance(timedelta(days=2))
    assert s.is_paused("daily") and not s.runs
    s.unpause_dag("daily")
    s.step()
    assert len(s.runs) == 3


def test_pausing_an_unknown_dag_names_it(make_scheduler):
    s = make_scheduler(daily())
    with pytest.raises(DagError, match="no DAG 'nope'"):
        s.pause_dag("nope")


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=3)), min_size=1, max_size=6))
def test_whatever_the_pauses_catchup_gives_every_day_one_run_once_unpaused(steps):
    """Pause and unpause at random: once unpaused, each daily point up to now has exactly one run."""
    s = Scheduler([daily()], clock=VirtualClock(EPOCH))
    for pause, days in steps:
        (s.pause_dag if pause else s.unpause_dag)("daily")
        s.advance(timedelta(days=days))
    s.unpause_dag("daily")
    s.step()
    elapsed = (s.now() - EPOCH).days
    assert dates(s) == [EPOCH + timedelta(days=d) for d in range(elapsed + 1)]
    s.close()
