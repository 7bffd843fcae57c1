from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.clock import EPOCH, ClockError, VirtualClock, WallClock

delays = st.lists(st.integers(min_value=0, max_value=40 * 86400), min_size=1, max_size=40)


@given(delays)
def test_timers_fire_in_due_order_and_never_early(offsets):
    clock = VirtualClock()
    fired = []
    for i, s in enumerate(offsets):
        clock.call_later(timedelta(seconds=s), lambda now, i=i, s=s: fired.append((now, EPOCH + timedelta(seconds=s), i)))
    clock.run_until_idle()
    assert len(fired) == len(offsets)
    times = [now for now, _, _ in fired]
    assert times == sorted(times)
    for now, due, _ in fired:
        assert now == due  # exactly at its due time: never early, never late on a virtual clock


@given(delays, st.integers(min_value=0, max_value=50 * 86400))
def test_advance_fires_exactly_the_timers_due_by_then(offsets, horizon):
    clock = VirtualClock()
    fired = []
    for s in offsets:
        clock.call_later(timedelta(seconds=s), lambda now: fired.append(now))
    clock.advance(timedelta(seconds=horizon))
    assert len(fired) == sum(1 for s in offsets if s <= horizon)
    assert clock.now() == EPOCH + timedelta(seconds=horizon)


@given(delays)
def test_jump_lands_on_the_next_due_time(offsets):
    clock = VirtualClock()
    for s in offsets:
        clock.call_later(timedelta(seconds=s), lambda now: None)
    for due in sorted(set(offsets)):
        assert clock.next_due() == EPOCH + timedelta(seconds=due)
        assert clock.jump_to_next() == EPOCH + timedelta(seconds=due)
    assert clock.jump_to_next() is None


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=20))
def test_timers_armed_by_timers_keep_order(gaps):
    clock = VirtualClock()
    fired = []

    def chain(i):
        def cb(now):
            fired.append(now)
            if i + 1 < len(gaps):
                clock.call_later(timedelta(seconds=gaps[i + 1]), chain(i + 1))
        return cb

    clock.call_later(timedelta(seconds=gaps[0]), chain(0))
    clock.run_until_idle()
    assert fired == sorted(fired)
    assert clock.now() == EPOCH + timedelta(seconds=sum(gaps))


def test_thirty_days_pass_without_waiting():
    clock = VirtualClock()
    woke = []
    clock.call_later(timedelta(days=30), woke.append)
    clock.run_until_idle()
    assert woke == [EPOCH + timedelta(days=30)]


def test_cancelled_timer_does_not_fire_and_clock_refuses_to_go_back():
    clock = VirtualClock()
    woke = []
    t = clock.call_later(timedelta(seconds=5), woke.append)
    t.cancel()
    assert clock.next_due() is None
    clock.advance(timedelta(seconds=10))
    assert woke == []
    with pytest.raises(ClockError):
        clock.advance_to(EPOCH)
    with pytest.raises(ClockError):
        clock.call_later(timedelta(seconds=-1), woke.append)


def test_wall_clock_has_the_same_protocol_and_waits_through_its_sleeper():
    slept = []
    clock = WallClock(sleeper=slept.append)
    woke = []
    clock.call_later(timedelta(0), woke.append)
    clock.advance(timedelta(0))
    assert len(woke) == 1
    assert clock.next_due() is None


def test_human_duration_says_spans_as_the_traces_do():
    from engines.clock import human_duration

    assert [human_duration(s) for s in (2592000, 86400, 7200, 300, 1.5, 90000, 100000)] == [
        "30 days", "1 day", "2 h", "5 min", "1.5 s", "25 h", "1.15741 days"]
