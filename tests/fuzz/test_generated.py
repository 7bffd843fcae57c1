"""Generated malformed inputs (hypothesis) for each kind of user input, through the real CLI.

Each example is one command line run by the fuzz driver (a real OS process, an alarm per case).
The runs are derandomized: the same examples every time, so a failure here is a finding to
reproduce, never a flake. Example counts are small to keep the suite under its minute.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import Driver

ROOT = Path(__file__).resolve().parents[2]
#: No shrinking: a known failure (xfail) must not spend the suite's minute making its example small.
FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: Text a person (or a script) might type where a number goes.
number_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["nan", "-nan", "inf", "-inf", "Infinity", "1e308", "1e309", "-0", "0x10", "1_000", " 5",
                     "", "٣", "1e-400", "9" * 500]),
    st.text(alphabet="0123456789.e+-_ x", max_size=12),
)


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


NUMBER_OPTIONS = {
    # option -> (argv before the value, inclusive bounds a result may have accepted)
    "run --day": (["run", "order-1001", "--scenario", "cancel", "--engine", "replay", "--day"], (0, 3650)),
    "dag test --day": (["dag", "test", "order_1001", "--scenario", "cancel", "--day"], (0, 3650)),
    "dag test --sensor-timeout-days": (["dag", "test", "order_1001", "--sensor-timeout-days"], (0, 3650)),
    "lesson --knob live_workers": (["lesson", "05", "--json", "--knob"], (0, 3)),
}


@pytest.mark.parametrize("option", sorted(NUMBER_OPTIONS))
@FUZZ
@given(text=number_text)
def test_a_number_on_the_command_line(driver: Driver, tmp_path: Path, option: str, text: str):
    head, (low, high) = NUMBER_OPTIONS[option]
    if option.startswith("lesson"):
        argv = [*head, f"live_workers={text}"]
    else:
        argv = [*head[:-1], f"{head[-1]}={text}"]
    result = driver.run(argv, cwd=tmp_path)
    assert result.problems("either") == [], (argv, result.stderr[-500:])
    if result.code == 0:  # accepted: it must have been a number within the stated bounds
        value = _as_float(text.strip())
        assert value is not None and math.isfinite(value) and low <= value <= high, (argv, "accepted")


GOOD_CARD = (ROOT / "workloads" / "cards" / "a-order-fulfillment.toml").read_bytes()


def _mutate(data: bytes, seed: int, edits: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(edits):
        at = rng.randrange(len(out) or 1)
        op = rng.randrange(4)
        if op == 0 and out:
            out[at] = rng.randrange(256)
        elif op == 1:
            out[at:at] = bytes([rng.choice(b'"[]{}=\n\\.\x00\xff,#')])
        elif op == 2 and out:
            del out[at: at + rng.randrange(1, 40)]
        else:
            out[at:at] = out[max(0, at - 30): at] * rng.randrange(1, 4)
    return bytes(out)


@FUZZ
@given(seed=st.integers(0, 2**32), edits=st.integers(1, 12))
def test_a_mangled_card(driver: Driver, tmp_path: Path, seed: int, edits: int):
    card = tmp_path / "card.toml"
    card.write_bytes(_mutate(GOOD_CARD, seed, edits))
    result = driver.run(["choose", str(card)], cwd=tmp_path, inputs=[card])
    assert result.problems("either") == [], result.stderr[-500:]
    if result.code == 0:
        assert result.stdout.strip(), "a card accepted must be judged"


STATE_TYPES = ["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "Nope"]
asl_value = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) |
    st.sampled_from(["$", "$.x", "$$.Execution.Id", "States.ALL", "{% 1 + %}", "A", "B", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["Type", "Next", "End", "Seconds", "SecondsPath", "Timestamp", "Retry", "Catch",
                         "ErrorEquals", "MaxAttempts", "IntervalSeconds", "BackoffRate", "Choices", "Default",
                         "Variable", "NumericEquals", "Branches", "ItemProcessor", "ItemsPath", "Parameters",
                         "ResultPath", "OutputPath", "InputPath", "Result", "Resource", "TimeoutSeconds",
                         "Error", "Cause", "StartAt", "States", "Output", "Arguments", "Assign"]),
        inner, max_size=4),
    max_leaves=12)


@st.composite
def definitions(draw) -> dict:
    names = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=3, unique=True))
    states = {}
    for i, name in enumerate(names):
        state = {"Type": draw(st.sampled_from(STATE_TYPES))}
        state.update(draw(st.dictionaries(st.sampled_from(["Seconds", "Retry", "Choices", "Default", "Result",
                                                             "Resource", "ItemsPath", "Branches", "Catch",
                                                             "TimeoutSeconds", "Parameters", "SecondsPath"]),
                                          asl_value, max_size=3)))
        if i + 1 < len(names):
            state["Next"] = names[i + 1]
        else:
            state["End"] = True
        states[name] = state
    top = {"StartAt": names[0], "States": states}
    if draw(st.booleans()):
        top["QueryLanguage"] = draw(st.sampled_from(["JSONata", "JSONPath", "Other"]))
    return top


@FUZZ
@given(definition=definitions())
def test_a_generated_definition(driver: Driver, tmp_path: Path, definition: dict):
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(definition))
    result = driver.run(["asl", "validate", str(path)], cwd=tmp_path, inputs=[path])
    assert result.problems("either") == [], (definition, result.stderr[-500:])
    if result.code == 0:  # valid: it must run to an end (or be stopped by its bounds), within the time limit
        ran = driver.run(["asl", "run", str(path), "--json"], cwd=tmp_path, inputs=[path])
        assert ran.problems("ran") == [], (definition, ran.stderr[-500:])


@pytest.fixture(scope="module")
def ledger_db(driver: Driver, tmp_path_factory) -> Path:
    """A replay database with a services ledger in it, made by the real commands."""
    d = tmp_path_factory.mktemp("ledger")
    db = d / "replay.db"
    for argv in (["replay", "start", "order", "--id", "o1", "--db", str(db)],
                 ["replay", "worker", "--until-idle", "--skip-time", "--quiet", "--db", str(db)]):
        result = driver.run(argv, cwd=d)
        assert result.code == 0, result.stderr
    return db


@settings(FUZZ, max_examples=25)
@given(seed=st.integers(0, 2**32), flips=st.integers(1, 8))
def test_a_database_with_flipped_bytes(driver: Driver, tmp_path: Path, ledger_db: Path, seed: int, flips: int):
    """`ledger` only reads: whatever the damage, a clear error or a statement, and no byte changes."""
    db = tmp_path / "flipped.db"
    shutil.copy(ledger_db, db)
    raw = bytearray(db.read_bytes())
    rng = random.Random(seed)
    for _ in range(flips):
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
    db.write_bytes(bytes(raw))
    result = driver.run(["ledger", "--db", str(db)], cwd=tmp_path, inputs=[db])
    assert result.problems("either") == [], result.stderr[-500:]
    if result.code == 0:
        assert "statement: $" in result.stdout
