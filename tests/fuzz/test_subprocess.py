"""Files that can block a reader for ever, and a file too big to be what it claims.

A FIFO handed as a card, a definition, an input, a resources file or a database blocks any
`open()` that waits for a writer. Each runs in the driver (its alarm interrupts a blocked open;
a process stuck where no alarm reaches is killed by the parent's wall-clock limit and the driver
restarted), and two run as processes of their own, exactly as a user types them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fuzz.harness import Driver, run_subprocess

#: A FIFO case either answers at once or hangs; this bounds the hang (and the suite's time).
FIFO_TIMEOUT = 8.0

#: (what, argv, owner of a known failure or None)
CASES = [
    ("card", "choose {fifo}", None),
    ("verify card", "verify {fifo} --on replay", None),
    ("definition", "asl validate {fifo}", None),
    ("run input", "asl run {good} --input {fifo}", None),
    ("resources", "asl run {good} --resources {fifo}", None),
    ("asl db", "asl run {good} --db {fifo}", None),
    ("replay db", "replay list --db {fifo}", None),
    ("ledger db", "ledger --db {fifo}", None),
]


def _fifo_case(tmp_path: Path, argv: str) -> tuple[list[str], Path]:
    fifo = tmp_path / "pipe.fifo"
    os.mkfifo(fifo)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}))
    return argv.format(fifo=fifo, good=good).split(), good


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("what, argv, owner", [
    pytest.param(*c, id=c[0], marks=[pytest.mark.xfail(strict=True, reason=c[2])] if c[2] else []) for c in CASES])
def test_a_fifo_is_refused_without_hanging(driver: Driver, tmp_path: Path, what: str, argv: str, owner: str | None):
    """In the driver: a blocked open() is interrupted by the case's alarm (PEP 475 runs the handler)."""
    args, good = _fifo_case(tmp_path, argv)
    result = driver.run(args, cwd=tmp_path, inputs=[good], timeout=FIFO_TIMEOUT)
    assert result.problems("error") == [], result.stderr[-500:]
    assert "pipe.fifo" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("what", ["card", "replay db"])
def test_a_fifo_in_a_process_of_its_own(tmp_path: Path, what: str):
    """The same as a user runs it: `python -m app.cli.main …`, killed if it passes the limit."""
    argv = dict((c[0], c[1]) for c in CASES)[what]
    args, good = _fifo_case(tmp_path, argv)
    result = run_subprocess(args, cwd=tmp_path, inputs=[good], timeout=FIFO_TIMEOUT * 2)
    assert result.problems("error") == [], result.stderr[-500:]


def test_a_ten_megabyte_one_line_story_is_refused(driver: Driver, tmp_path: Path):
    card = tmp_path / "long.toml"
    card.write_text('id = "long"\nletter = "L"\ntitle = "Long"\nstory = "' + "x" * (10 * 1024 * 1024) +
                    '"\n[chips]\nsignals = true\n')
    result = driver.run(["choose", str(card)], cwd=tmp_path, inputs=[card])
    assert result.problems("error") == [], result.stderr[-500:]
