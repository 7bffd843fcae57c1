"""The hostile-file corpus and the bad command lines of issue 17, each through the real CLI.

Each case: a command line (with `{c}` for the private copy of tests/fuzz/corpus), what it must do
("error": refused with one line; "ok": exit 0; "either"/"ran": a clear error or a result, where
"ran" also allows `asl run`'s exit 3, an execution that ended otherwise), and the input files that
must come out unchanged. A case that fails today in another engineer's area is marked
xfail(strict=True) with its owner, so that it flips (and must be unmarked) once fixed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fuzz.harness import Driver

OWNER_ASL = "owner: engines/statemachine + app/cli/asl_cmd.py"
OWNER_CARDS = "owner: workloads/cards.py"
OWNER_DAG = "owner: engines/dag + app/cli/dag_cmd.py"
OWNER_REPLAY = "owner: engines/replay + app/cli/replay_cmd.py"
OWNER_RUN = "owner: app/cli/run_cmd.py"
OWNER_LESSONS = "owner: lessons (scene knobs)"

#: (id, argv, expect); a fourth item marks a known failure: the owner who fixes it.
CASES: list[tuple] = []


#: Cases that must run 25,000 history events before AWS's bound stops them (about 8 s of CPU
#: here): their own time limit, so that a loaded machine does not make them look hung.
SLOW: dict[str, float] = {}


def case(id: str, argv: str | list[str], expect: str = "error", owner: str | None = None,
         timeout: float | None = None) -> None:
    CASES.append((id, argv.split() if isinstance(argv, str) else argv, expect, owner))
    if timeout is not None:
        SLOW[id] = timeout


# --- cards --------------------------------------------------------------------------------------------
for name in ("binary", "latin1", "utf16", "nul", "escaped-nul", "deep-arrays", "deep-tables", "deep-dotted",
             "huge-number", "huge-int", "huge-duration", "nan", "unknown-workload", "empty-weight", "empty",
             "bad-toml"):
    case(f"choose card-{name}", f"choose {{c}}/card-{name}.toml")
# control characters in a title are dropped before they reach the terminal (issue 20), the card itself is fine
case("choose card-control-chars", "choose {c}/card-control-chars.toml", "ran")
for name in ("latin1", "deep-tables", "unknown-workload"):
    case(f"verify card-{name}", f"verify {{c}}/card-{name}.toml --on replay")
case("choose a directory", "choose {c}")
case("choose no such card", "choose {c}/no-such.toml")
case("choose empty id", ["choose", ""])
case("verify unknown weight", "verify A --on replay --no-evidence --weight no_such_chip")

# --- ASL definitions ------------------------------------------------------------------------------------
for name in ("binary", "latin1", "utf16", "nul", "deep", "huge-number", "wait-2p70", "wait-string",
             "not-object", "empty"):
    case(f"asl validate asl-{name}", f"asl validate {{c}}/asl-{name}.json")
    case(f"asl run asl-{name}", f"asl run {{c}}/asl-{name}.json --json")
# a NUL written as the JSON escape \u0000 in a state name: valid JSON; refused or run, never a crash
case("asl validate asl-escaped-nul", "asl validate {c}/asl-escaped-nul.json", "either")
case("asl run asl-escaped-nul", "asl run {c}/asl-escaped-nul.json --json", "ran")
case("asl validate a directory", "asl validate {c}")
for name in ("huge", "nan", "inf"):
    case(f"asl run SecondsPath {name}", f"asl run {{c}}/asl-wait-seconds-path.json --input {{c}}/input-seconds-{name}.json",
         "ran")
case("asl run TimestampPath bad", "asl run {c}/asl-wait-timestamp-path.json --input {c}/input-timestamp-bad.json", "ran")
case("asl run Pass-Choice loop", "asl run {c}/asl-loop.json --json", "ran", timeout=60)
case("asl run Retry interval 0", "asl run {c}/asl-retry-forever.json --resources {c}/resources-throw.json --json")
if os.environ.get("WORKFLOW_CANVAS_FUZZ_ALL"):  # a second 25,000-event run: about 8 s of CPU more
    case("asl run Retry MaxAttempts 99999999",
         "asl run {c}/asl-retry-many.json --resources {c}/resources-throw.json --json", "ran", timeout=60)
case("asl run Retry backoff overflows the date",
     "asl run {c}/asl-retry-overflow.json --resources {c}/resources-throw.json --json", "ran")
case("asl run JSONata recursion", "asl run {c}/asl-jsonata-recursion.json --json", "ran")
case("asl run JSONata tail loop", "asl run {c}/asl-jsonata-tail-loop.json --json", "ran")
case("asl run catastrophic regex", "asl run {c}/asl-jsonata-regex.json --input {c}/input-regex.json --json", "ran")
case("asl run resource delay infinity", "asl run {c}/asl-task.json --resources {c}/resources-delay-inf.json")
case("asl run resource delay huge", "asl run {c}/asl-task.json --resources {c}/resources-delay-huge.json",
     "either")
case("asl run resources UTF-16", "asl run {c}/asl-task.json --resources {c}/resources-utf16.json")
case("asl run input deep", "asl run {c}/asl-loop.json --input {c}/input-deep.json")
case("asl run input binary", "asl run {c}/asl-loop.json --input {c}/input-binary.json")
case("asl run input text deep", ["asl", "run", "{c}/asl-loop.json", "--input", "[" * 50000])
for value in ("nan", "inf", "1e300", "-1", "x"):
    case(f"asl run --stop-after {value}", ["asl", "run", "{c}/asl-loop.json", f"--stop-after={value}"])

# --- numbers and names on the command line ------------------------------------------------------------
for value in ("1e9", "nan", "inf", "1e308", "-1", "", "9" * 400):
    case(f"run --day {value!r}", ["run", "order-1001", "--scenario", "cancel", f"--day={value}"])
    case(f"dag test --day {value!r}", ["dag", "test", "order_1001", "--scenario", "cancel", f"--day={value}"])
    case(f"dag test --sensor-timeout-days {value!r}", ["dag", "test", "order_1001", f"--sensor-timeout-days={value}"])
case("run --scenario ''", ["run", "order-1001", "--scenario", ""])
case("run unknown workload", "run no-such-workload")
case("run unknown scenario", "run order-1001 --scenario no-such")
case("dag test --scenario ''", ["dag", "test", "order_1001", "--scenario", ""])
case("dag test nightly_etl --day", "dag test nightly_etl --day 1")
case("dag test unknown dag", "dag test no_such_dag")
case("replay query extra args", "replay query order-1001 status extra args --db {c}/q.db")
case("replay start unknown workflow", "replay start no-such --id x --db {c}/s.db")
case("replay start --input deep", ["replay", "start", "order", "--id", "x", "--input", "[" * 50000, "--db", "{c}/s.db"])
case("replay start --input not JSON", ["replay", "start", "order", "--id", "x", "--input", "{nope", "--db", "{c}/s.db"])
case("replay start --id ''", ["replay", "start", "order", "--id", "", "--db", "{c}/s.db"])
case("replay signal --payload deep", ["replay", "signal", "x", "cancelOrder", "--payload", "{\"a\":" * 20000,
                                      "--db", "{c}/s.db"])
case("replay show missing db", "replay show x --db {c}/missing.db")
case("replay worker --max-tasks -1", "replay worker --until-idle --max-tasks -1 --db {c}/s.db")
case("ledger missing db", "ledger --db {c}/missing.db")
case("ledger a directory", "ledger --db {c}")
case("lesson 99", "lesson 99")
case("lesson ''", ["lesson", ""])
case("lesson unknown knob", "lesson 05 --knob no_such=1")
case("lesson knob without =", "lesson 05 --knob live_workers")
for value in ("nan", "1e308", "-1", "99", "", "x"):
    case(f"lesson knob int {value!r}", ["lesson", "05", "--knob", f"live_workers={value}"])
case("lesson knob choice", "lesson 04 --knob classify_step=no_such")
case("lesson knob bool", "lesson 01 --knob crash_after_charge=maybe")

# --- good inputs give a correct result --------------------------------------------------------------
case("asl validate good", "asl validate {c}/asl-good.json", "ok")
case("choose good card copy", "choose {c}/card-good.toml", "ok")
case("lesson 05 in range", "lesson 05 --knob live_workers=2 --json", "ok")

_SEEN = {
}
#: Known failures at the time of writing: id -> "owner: ... — what happens".
KNOWN: dict[str, str] = {k: f"{owner} — {seen}" for k, (owner, seen) in _SEEN.items()}


def _files(argv: list[str]) -> list[Path]:
    """The arguments that name input files (their bytes must not change)."""
    out = []
    for a in argv:
        try:
            if len(a) < 4096 and Path(a).is_file():
                out.append(Path(a))
        except OSError:  # a name too long to be a file
            pass
    return out


def _prepare(corpus: Path) -> None:
    (corpus / "asl-good.json").write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}))
    src = Path(__file__).resolve().parents[2] / "workloads" / "cards" / "a-order-fulfillment.toml"
    (corpus / "card-good.toml").write_bytes(src.read_bytes())


@pytest.mark.parametrize("id, argv, expect, owner", [
    pytest.param(*c, id=c[0], marks=[pytest.mark.xfail(strict=True, reason=(c[3] or KNOWN[c[0]]))]
                 if (c[3] or c[0] in KNOWN) else []) for c in CASES])
def test_hostile_input(driver: Driver, corpus: Path, id: str, argv: list[str], expect: str, owner: str | None):
    _prepare(corpus)
    argv = [a.replace("{c}", str(corpus)) for a in argv]
    result = driver.run(argv, cwd=corpus, inputs=_files(argv), **({"timeout": SLOW[id]} if id in SLOW else {}))
    assert result.problems(expect) == [], (argv[:6], result.stderr[-800:])


def test_the_checked_in_corpus_is_what_make_corpus_writes():
    from tests.fuzz.make_corpus import CORPUS, files

    expected = files()
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(expected)
    for name, data in expected.items():
        assert (CORPUS / name).read_bytes() == data, name
    assert not os.access(CORPUS / "card-good.toml", os.F_OK)
