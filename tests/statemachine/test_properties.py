"""Properties of the data flow and back-off, checked with hypothesis."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engines.statemachine import paths
from engines.statemachine.errors import StatesError
from engines.statemachine.retry import retry_delay
from tests.statemachine.helpers import machine, run

names = st.text(alphabet="abcxyz_", min_size=1, max_size=5)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(names, c, max_size=3), max_leaves=8)


@given(doc=st.dictionaries(names, json_values, max_size=4), keys=st.lists(names, min_size=1, max_size=3), value=json_values)
def test_result_path_then_select_gives_the_value_back_and_leaves_the_input_alone(doc, keys, value):
    path = "$." + ".".join(keys)
    before = repr(doc)
    try:
        out = paths.put(doc, path, value)
    except StatesError as err:  # a step lands on a non-object (e.g. a list): AWS's ResultPathMatchFailure
        assert err.error == "States.ResultPathMatchFailure" and repr(doc) == before
        return
    assert paths.select(out, path) == value
    assert repr(doc) == before


@given(interval=st.integers(1, 100), rate=st.floats(1.0, 4.0), cap=st.none() | st.integers(1, 500), n=st.integers(0, 8))
def test_backoff_grows_and_never_exceeds_the_cap(interval, rate, cap, n):
    r = {"IntervalSeconds": interval, "BackoffRate": rate, "MaxDelaySeconds": cap}
    if cap is None:
        del r["MaxDelaySeconds"]
    d0, d1 = retry_delay(r, n), retry_delay(r, n + 1)
    assert d1 >= d0
    if cap is not None:
        assert d1 <= cap


@settings(max_examples=25, deadline=None)
@given(seconds=st.lists(st.integers(0, 10**7), min_size=1, max_size=4))
def test_a_chain_of_waits_takes_exactly_their_sum_of_virtual_time(seconds):
    states = {f"W{i}": {"Type": "Wait", "Seconds": s, "Next": f"W{i + 1}"} for i, s in enumerate(seconds)}
    states[f"W{len(seconds) - 1}"] = {"Type": "Wait", "Seconds": seconds[-1], "End": True}
    r = run(machine(**states), {"k": 1})
    assert r.status == "SUCCEEDED" and r.output == {"k": 1}
    assert (r.engine.clock.now() - r.engine.clock.start).total_seconds() == sum(seconds)
