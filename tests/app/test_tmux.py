"""The real `workflow-canvas` in tmux at 80×24, driven with keys and a real mouse drag."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("workflow-canvas")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "wc")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")
            time.sleep(0.1)

    def wait_until(self, test, what: str, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen().splitlines()
            if test(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}; the screen was:\n" + "\n".join(lines))
            time.sleep(0.1)

    def mouse(self, *reports: str) -> None:
        """Raw SGR mouse reports, as a terminal sends them (tmux passes them to the app)."""
        for report in reports:
            self("send-keys", "-t", "wc", "-H", *[f"{b:02x}" for b in report.encode()])
            time.sleep(0.05)


@pytest.fixture
def tmux(tmp_path):
    t = Tmux(f"wc-test-{os.getpid()}")
    t("new-session", "-d", "-s", "wc", "-x", "80", "-y", "24", "-e", f"WORKFLOW_CANVAS_HOME={tmp_path / 'home'}",
      "-e", "TERM=xterm-256color", str(CLI))
    try:
        yield t
    finally:
        subprocess.run(["tmux", "-L", t.socket, "kill-server"], capture_output=True)


def test_workflow_canvas_in_tmux_at_80x24(tmux):
    screen = tmux.wait_for("Order fulfillment")  # the deck is filled, card A on top and focused
    assert "Deck" in screen and "1 replay" in screen and "Verifier" in screen
    tmux("send-keys", "-t", "wc", "2")  # keyboard path: card A onto the DAG zone
    dag_col = next(line.index("2 DAG") for line in screen.splitlines() if "2 DAG" in line)
    lines = tmux.wait_until(lambda lines: any(line.find("A  Order") >= dag_col - 2 for line in lines),
                            "card A never reached the DAG zone")
    lines = tmux.wait_until(lambda lines: any("Nightly" in line for line in lines), "B never came to the top of the deck")

    # a real mouse drag: press on the deck's top card (now B), move, release on the replay zone
    row = next(i for i, line in enumerate(lines) if "Nightly" in line and line.index("Nightly") < 28) + 1
    replay_col = next(line.index("1 replay") for line in lines if "1 replay" in line) + 3
    tmux.mouse(f"\x1b[<0;5;{row}M", f"\x1b[<32;12;{row + 2}M", f"\x1b[<32;{replay_col};6M", f"\x1b[<0;{replay_col};6m")
    tmux.wait_until(lambda lines: any("Nightly" in line and line.index("Nightly") > 28 for line in lines),
                    "the drag did not move card B")

    tmux("send-keys", "-t", "wc", "?")
    tmux.wait_for("Keys —")
    tmux("send-keys", "-t", "wc", "Escape")
    # wait: an Escape followed at once by "l" would reach the app as alt+l
    tmux.wait_until(lambda lines: not any("Keys —" in line for line in lines), "Escape did not close the help")
    tmux("send-keys", "-t", "wc", "l")
    tmux.wait_for("Scene 01")
    tmux("send-keys", "-t", "wc", "n")
    tmux.wait_for("Scene 02")
    tmux("send-keys", "-t", "wc", "q")
    deadline = time.monotonic() + 15
    while subprocess.run(["tmux", "-L", tmux.socket, "has-session", "-t", "wc"], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "q did not quit the app"
        time.sleep(0.1)
