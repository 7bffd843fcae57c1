"""One mapped task instance's arguments are found from the per-argument lengths (no cross product
is built per instance, which made a run of n mapped instances cost n²): the same arguments as the
whole expansion's entry at that map index, for any shape of input."""

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from engines.dag.mapping import KWARGS_LIST, expand_value_at, expand_values

lists = st.dictionaries(st.sampled_from(["a", "b", "c", "size"]), st.lists(st.integers(), max_size=5), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(lists)
def test_the_entry_at_an_index_is_the_cross_products_entry(expand_input):
    task = SimpleNamespace(task_id="t", expand_input=expand_input)
    whole = expand_values(task, lambda arg: None)
    for index in range(-1, len(whole) + 2):
        expected = whole[index] if 0 <= index < len(whole) else None
        assert expand_value_at(task, lambda arg: None, index) == expected


def test_expand_kwargs_entries_by_index():
    task = SimpleNamespace(task_id="t", expand_input={KWARGS_LIST: [{"x": 1}, {"x": 2, "y": 3}]})
    assert [expand_value_at(task, lambda arg: None, i) for i in range(3)] == [{"x": 1}, {"x": 2, "y": 3}, None]
