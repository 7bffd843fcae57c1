from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from engines.clock import EPOCH
from engines.trace import Outcome, OutcomeStatus, Severity, TraceEvent, TraceRecorder, dump_trace, load_trace

events = st.builds(
    TraceEvent,
    time=st.integers(min_value=0, max_value=10**8).map(lambda s: EPOCH + timedelta(seconds=s)),
    engine=st.sampled_from(["replay", "dag", "statemachine"]),
    kind=st.text(min_size=1, max_size=20),
    subject=st.text(max_size=20),
    detail=st.text(max_size=40),
    severity=st.sampled_from(list(Severity)),
    data=st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5), st.booleans()), max_size=3),
)


@given(st.lists(events, max_size=10))
def test_trace_round_trips_through_json(trace):
    assert load_trace(dump_trace(trace)) == trace


def test_outcome_round_trips_and_knows_net_charge():
    out = Outcome(engine="dag", status=OutcomeStatus.FAILED, charged_cents=4200, slot_seconds=604800.0,
                  problems=["sensor timed out on day 7"])
    back = Outcome.model_validate_json(out.model_dump_json())
    assert back == out
    assert back.net_charged_cents == 4200


def test_recorder_notifies_a_listener():
    seen = []
    rec = TraceRecorder("replay", listener=seen.append)
    rec.emit(EPOCH, "TimerStarted", "order-1001", "sleep 30 days")
    assert len(rec) == 1 and seen[0].kind == "TimerStarted" and seen[0].engine == "replay"


def test_a_recorder_with_keep_holds_only_the_last_events_and_still_counts_all():
    from engines.clock import EPOCH
    from engines.trace import TraceRecorder

    seen = []
    recorder = TraceRecorder("replay", seen.append, keep=3)
    for i in range(10):
        recorder.emit(EPOCH, "Tick", str(i))
    assert [e.subject for e in recorder] == ["7", "8", "9"]
    assert recorder.emitted == 10 and len(seen) == 10  # the listener saw every one
    silent = TraceRecorder("replay", keep=0)
    silent.emit(EPOCH, "Tick")
    assert len(silent) == 0 and silent.emitted == 1
