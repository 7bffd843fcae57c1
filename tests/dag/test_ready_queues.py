"""The ready queues (one per DAG run and pool) against a straightforward reference, on random DAGs.

The reference is the critical section as Airflow describes it: every scheduled task instance in
one list, scanned from the front in priority order (higher priority_weight, then first come),
queueing what fits and leaving the rest. The scheduler's queues must pick exactly the same task
instances in exactly the same order (same trace, same grid), while looking at a full run or
pool once per critical section instead of once per waiting task; and a task instance's trigger
rule is looked at when one of its upstream ends, not before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engines.clock import EPOCH, VirtualClock
from engines.dag import (
    DAG,
    AirflowFailException,
    AirflowSkipException,
    BaseSensorOperator,
    EmptyOperator,
    PythonOperator,
    PythonSensor,
    Scheduler,
    TRIGGER_RULES,
)
from engines.dag.states import FINISHED, TI, DagRunState
from engines.dag.trigger_rules import RUN, UpstreamCounts, evaluate

POOLS = {"p1": 1, "p2": 2, "p3": 3}


# ---------------------------------------------------------------- the reference critical section
class _ListReady:
    """Every scheduled task instance in one list: the reference's ready queue."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, object]] = []
        self._arrival = 0

    def push(self, ti, priority_weight: int) -> None:
        self._arrival += 1
        self.entries.append((-priority_weight, self._arrival, ti))

    def __bool__(self) -> bool:
        return bool(self.entries)


class ReferenceScheduler(Scheduler):
    """The scheduler with the critical section written the straightforward way."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        assert not self.loop.ready  # nothing was scheduled yet: swap the queue
        self.loop.ready = _ListReady()  # type: ignore[assignment]

    def _critical_section(self) -> None:
        ex = self.executor
        ready = self.loop.ready
        keep, started = [], []
        for entry in sorted(ready.entries, key=lambda e: e[:2]):
            ti = entry[2]
            if ti.state != TI.SCHEDULED or ti.run.state != DagRunState.RUNNING:
                continue
            task = ti.operator
            fits = (ex.occupied < ex.parallelism and ex.pools[task.pool].open_slots >= task.pool_slots
                    and ti.run.active < ti.run.dag.max_active_tasks)
            if not fits:
                keep.append(entry)
                continue
            self._tis.queue(ti)
            started.append(ti)
        ready.entries = keep
        for ti in started:
            token = self._tis.start(ti)
            if isinstance(ti.task, BaseSensorOperator):
                self._poking.poke(ti, token)
            else:
                self._tis.execute(ti, token)


# ---------------------------------------------------------------- random DAGs
@dataclass(frozen=True)
class TaskSpec:
    rule: str
    plan: tuple[str, ...]  # what try 1, 2, ... does: ok / fail / fatal / skip
    retries: int
    retry_delay: int
    duration: int
    pool: str
    pool_slots: int
    priority: int
    sensor: str  # "" (an operator), "poke" or "reschedule": satisfied from `duration` minutes on


@dataclass(frozen=True)
class DagSpec:
    name: str
    tasks: tuple[TaskSpec, ...]
    edges: frozenset[tuple[int, int]]
    max_active_tasks: int


def task_specs() -> st.SearchStrategy[TaskSpec]:
    pool = st.sampled_from(["default_pool", "p1", "p2", "p3"])
    return st.builds(
        lambda rule, plan, retries, delay, duration, pool_and_slots, priority, sensor: TaskSpec(
            rule, plan, retries, delay, duration, pool_and_slots[0], pool_and_slots[1], priority, sensor),
        st.sampled_from(TRIGGER_RULES),
        st.lists(st.sampled_from(["ok", "ok", "fail", "fatal", "skip"]), min_size=1, max_size=3).map(tuple),
        st.integers(0, 2), st.integers(0, 3), st.integers(0, 3),
        pool.flatmap(lambda p: st.tuples(st.just(p), st.integers(1, POOLS.get(p, 2)))),
        st.integers(1, 3),
        st.sampled_from(["", "", "", "poke", "reschedule"]),
    )


@st.composite
def dag_specs(draw: st.DrawFn, name: str) -> DagSpec:
    tasks = tuple(draw(st.lists(task_specs(), min_size=1, max_size=9)))
    n = len(tasks)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    edges = frozenset(draw(st.lists(st.sampled_from(pairs), max_size=2 * n)) if pairs else [])
    return DagSpec(name, tasks, edges, draw(st.integers(1, 4)))


def _callable(spec: TaskSpec):
    def fn(ti):
        what = spec.plan[min(ti.try_number, len(spec.plan)) - 1]
        if what == "fail":
            raise RuntimeError("transient")
        if what == "fatal":
            raise AirflowFailException("for good")
        if what == "skip":
            raise AirflowSkipException("nothing to do")
        return ti.try_number
    return fn


def build(spec: DagSpec) -> DAG:
    with DAG(spec.name, max_active_tasks=spec.max_active_tasks) as dag:
        ops = []
        for i, t in enumerate(spec.tasks):
            common = dict(trigger_rule=t.rule, retries=t.retries, retry_delay=60 * t.retry_delay, pool=t.pool,
                          pool_slots=t.pool_slots, priority_weight=t.priority)
            if t.sensor:
                ready_at = EPOCH + timedelta(minutes=t.duration)
                ops.append(PythonSensor(f"t{i}", lambda now, ready_at=ready_at: now >= ready_at, mode=t.sensor,
                                        poke_interval=45, **common))
            elif t.duration == 0 and t.plan == ("ok",):
                ops.append(EmptyOperator(f"t{i}", **common))
            else:
                ops.append(PythonOperator(f"t{i}", _callable(t), duration=60 * t.duration, **common))
        for i, j in spec.edges:
            ops[i] >> ops[j]
    return dag


def run_all(cls, specs: list[DagSpec], triggers: list[int], parallelism: int):
    """Trigger the DAGs (by index, in order) at once and run everything to its end."""
    s = cls([build(spec) for spec in specs], clock=VirtualClock(EPOCH), parallelism=parallelism, pools=POOLS)
    peaks: list[str] = []
    take = s.executor.take

    def checked_take(pool: str, slots: int) -> None:
        take(pool, slots)
        p = s.executor.pools[pool]
        if p.occupied > p.slots or s.executor.occupied > s.executor.parallelism:
            peaks.append(f"{pool}: {p.occupied}/{p.slots}, workers {s.executor.occupied}/{s.executor.parallelism}")
        for run in s.runs.values():
            if run.active > run.dag.max_active_tasks:
                peaks.append(f"{run.run_id}: {run.active} active > {run.dag.max_active_tasks}")

    s.executor.take = checked_take  # type: ignore[method-assign]
    for k, i in enumerate(triggers):
        s.trigger_dag(specs[i].name, run_id=f"run{k}")
    s.run_until_idle()
    trace = [(e.time, e.kind, e.subject, e.detail) for e in s.trace]
    grids = {run_id: s.grid(run_id) for run_id in s.runs}
    return s, trace, grids, peaks


scenarios = st.integers(1, 2).flatmap(lambda k: st.tuples(
    st.tuples(*[dag_specs(f"dag{i}") for i in range(k)]),
    st.lists(st.integers(0, k - 1), min_size=1, max_size=3),
    st.integers(1, 4),
))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_the_ready_queues_start_what_one_global_queue_would_in_the_same_order(scenario):
    specs, triggers, parallelism = scenario
    specs = list(specs)
    s, trace, grids, peaks = run_all(Scheduler, specs, triggers, parallelism)
    _ref, ref_trace, ref_grids, _ = run_all(ReferenceScheduler, specs, triggers, parallelism)
    assert trace == ref_trace
    assert grids == ref_grids
    # and the invariants hold on their own
    assert peaks == []
    assert s.executor.occupied == 0 and all(p.occupied == 0 for p in s.executor.pools.values())
    for run in s.runs.values():
        assert run.finished and run.active == 0
        graph = run.dag.graph
        for task_id, ti in run.tis.items():
            assert ti.state in FINISHED, (run.run_id, task_id, ti.state)
            c = UpstreamCounts(total=len(graph.pred[task_id]))
            for up in graph.pred[task_id]:
                c.add(run.tis[up].state)
            decision = evaluate(ti.operator.trigger_rule, c)
            if ti.try_number > 0:  # it ran: its rule said run
                assert decision == RUN, (task_id, ti.operator.trigger_rule, c)
            else:  # settled without running: skipped or upstream_failed, as its rule says
                assert ti.state in (TI.SKIPPED, TI.UPSTREAM_FAILED) and decision != RUN, (task_id, ti.state, c)


def _wide(n: int, max_active_tasks: int = 16) -> DAG:
    with DAG(f"wide_{n}", max_active_tasks=max_active_tasks) as dag:
        root = EmptyOperator("root")
        root >> [EmptyOperator(f"t{i}") for i in range(n)]
    return dag


def test_a_full_run_is_looked_at_once_per_critical_section_not_once_per_waiting_task():
    n = 2_000
    s = Scheduler([_wide(n)], clock=VirtualClock(EPOCH))
    run = s.test(f"wide_{n}")
    assert run.state == "success" and all(ti.state == "success" for ti in run.tis.values())
    # 16 at a time: about n looks to start them and one per critical section for the full run;
    # re-examining every waiting task instance each time would be about n * n / 32.
    assert s.loop.ready.looks <= 2 * n
    assert s.loop.ready.queues == {}


def test_a_full_pool_is_set_aside_whole_while_another_pool_of_the_same_run_goes_on():
    with DAG("two_pools", max_active_tasks=100) as dag:
        slow = [PythonOperator(f"slow{i}", lambda: 1, pool="p1", duration=600) for i in range(50)]
        fast = [PythonOperator(f"fast{i}", lambda: 1, pool="p3", duration=60) for i in range(6)]
        assert slow and fast
    s = Scheduler([dag], clock=VirtualClock(EPOCH), pools=POOLS)
    run = s.trigger_dag("two_pools")
    states = {t: ti.state for t, ti in run.tis.items()}
    assert [t for t, st_ in states.items() if st_ == "running"] == ["slow0", "fast0", "fast1", "fast2"]
    s.run_until_done(run.run_id)
    assert run.state == "success"
    assert run.tis["fast5"].end_date == EPOCH + timedelta(minutes=2)
    assert run.tis["slow49"].end_date == EPOCH + timedelta(minutes=500)


def test_higher_priority_weight_starts_first_across_runs_and_pools():
    with DAG("prio", max_active_tasks=1) as dag:
        PythonOperator("low", lambda: 1, priority_weight=1, duration=60)
        PythonOperator("high", lambda: 1, priority_weight=5, duration=60, pool="p2")
        PythonOperator("mid", lambda: 1, priority_weight=3, duration=60)
    s = Scheduler([dag], clock=VirtualClock(EPOCH), pools=POOLS)
    first = s.trigger_dag("prio", run_id="first")
    second = s.trigger_dag("prio", run_id="second")
    s.run_until_idle()
    starts = sorted((ti.start_date, run.run_id, t) for run in (first, second) for t, ti in run.tis.items())
    assert [(run_id, t) for _at, run_id, t in starts] == [
        ("first", "high"), ("second", "high"), ("first", "mid"), ("second", "mid"), ("first", "low"), ("second", "low")]


def test_a_run_marked_failed_leaves_nothing_waiting_in_the_queues():
    with DAG("busy", max_active_tasks=2) as busy:
        [PythonOperator(f"t{i}", lambda: 1, duration=60) for i in range(200)]
    with DAG("other") as other:
        PythonOperator("x", lambda: 1, duration=60)
    s = Scheduler([busy, other], clock=VirtualClock(EPOCH))
    run = s.trigger_dag("busy")
    s.advance(timedelta(minutes=3))
    assert s.loop.ready.waiting() == 200 - 2 * 4
    s.mark_dag_run_failed(run.run_id)
    later = s.trigger_dag("other")
    s.run_until_done(later.run_id)
    assert later.state == "success" and s.loop.ready.queues == {}
    assert sum(ti.state == "success" for ti in run.tis.values()) == 6


def test_a_new_dag_version_that_removes_or_repools_a_waiting_task_keeps_the_order_right():
    def build(v2: bool) -> DAG:
        with DAG("redeploy") as dag:
            PythonOperator("blocker", lambda: 1, priority_weight=100, duration=60)
            PythonOperator("holder", lambda: 1, priority_weight=50, duration=600, pool="p1")
            if not v2:
                PythonOperator("gone", lambda: 1, priority_weight=10)
            PythonOperator("w", lambda: 1, priority_weight=2, pool="p1" if v2 else "default_pool")
            PythonOperator("y", lambda: 1, priority_weight=1, duration=60)
            PythonOperator("z", lambda: 1, priority_weight=5, duration=60, pool="p3")
        return dag

    s = Scheduler([build(False)], clock=VirtualClock(EPOCH), parallelism=2, pools=POOLS)
    run = s.trigger_dag("redeploy")
    assert [t for t, ti in run.tis.items() if ti.state == "running"] == ["blocker", "holder"]
    s.advance(timedelta(seconds=30))
    s.deploy(build(True))  # "gone" leaves the DAG while it waits at the head of its queue; "w" moves to p1
    assert run.tis["gone"].state == "removed"
    s.run_until_done(run.run_id)
    assert run.state == "success"
    starts = {t: (ti.start_date - EPOCH).total_seconds() for t, ti in run.tis.items() if ti.start_date}
    # z (priority 5) before y (1) once "gone" is out of the way; w waits for p1, its new pool
    assert starts == {"blocker": 0, "holder": 0, "z": 60, "y": 120, "w": 600}


def test_a_task_is_looked_at_when_an_upstream_ends_not_before():
    with DAG("chain") as chain:
        tasks = [EmptyOperator(f"c{i}") for i in range(50)]
        for a, b in zip(tasks, tasks[1:]):
            a >> b
    with DAG("fan") as fan:
        root = EmptyOperator("root")
        root >> [EmptyOperator(f"f{i}") for i in range(100)]
        EmptyOperator("anytime", trigger_rule="always") << root
    s = Scheduler([chain, fan], clock=VirtualClock(EPOCH))
    looked: list[str] = []
    evaluate = s._runs.evaluate

    def counting(ti):
        looked.append(ti.task_id)
        evaluate(ti)

    s._runs.evaluate = counting  # type: ignore[method-assign]
    assert s.test("chain").state == "success"
    assert looked == [f"c{i}" for i in range(50)]  # each once, when its upstream ended
    looked.clear()
    assert s.test("fan").state == "success"
    # the root and the "always" task at once (a rule that needs no upstream), each leaf once
    assert looked[:2] == ["root", "anytime"] and sorted(looked[2:]) == sorted(f"f{i}" for i in range(100))


def test_a_task_instance_considered_twice_before_its_turn_keeps_its_place():
    with DAG("three") as dag:
        [EmptyOperator(t) for t in "abc"]
    s = Scheduler([dag], clock=VirtualClock(EPOCH))
    run = s.test("three")
    a, b, c = (run.tis[t] for t in "abc")
    loop = s.loop
    for ti in (a, b, a, c, b):
        loop.consider(ti)
    assert [loop.next_candidate() for _ in range(3)] == [a, b, c] and not loop.candidates
    loop.consider(c)
    loop.consider(a)
    assert [loop.next_candidate() for _ in range(2)] == [c, a]
