"""Time to the design canvas's first frame vs a minimal Textual app's, on this machine.

Each measurement is a fresh process (headless driver): the parent notes the wall time, starts
the child, and the child prints the wall time of its first frame (Textual's Ready event, sent
once the first frame is displayed) and exits. Also printed: time until the deck is filled (the
cards are read in a worker after the first frame). Target: canvas ≤ 1.5 × minimal.

    .venv/bin/python bench/tui_startup.py [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
import time
from textual.app import App
from textual.widgets import Footer, Header, Static

class Minimal(App):
    def compose(self):
        yield Header(); yield Static("hello"); yield Footer()
    def on_ready(self):
        print("first", time.time(), flush=True); self.exit()

Minimal().run(headless=True, size=(80, 24))
"""

CANVAS = """
import time
from app.canvas_app import WorkflowCanvasApp

class Timed(WorkflowCanvasApp):
    def on_ready(self):
        print("first", time.time(), flush=True)
        super().on_ready()
        self.set_interval(0.005, self.check_deck)
    def check_deck(self):
        if self.screen.query("CardWidget") or self.screen.query_one("#deck-note").visual is None:
            print("deck", time.time(), flush=True); self.exit()
        elif "not available" in str(self.screen.query_one("#deck-note").content):
            print("deck", time.time(), flush=True); self.exit()

Timed().run(headless=True, size=(80, 24))
"""


def measure(code: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "WORKFLOW_CANVAS_HOME": home}
        start = time.time()
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    marks = {}
    for line in out.stdout.splitlines():
        name, _, stamp = line.partition(" ")
        if name in ("first", "deck"):
            marks[name] = float(stamp) - start
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    measure(MINIMAL), measure(CANVAS)  # warm the OS file cache
    minimal, first, deck = [], [], []
    for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
        minimal.append(measure(MINIMAL)["first"])
        marks = measure(CANVAS)
        first.append(marks["first"])
        deck.append(marks.get("deck", float("nan")))
    med = statistics.median
    print(f"runs: {args.runs} each, interleaved; python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.2f}")
    print(f"minimal Textual app, start → first frame: median {med(minimal) * 1000:6.0f} ms  [{min(minimal) * 1000:.0f}–{max(minimal) * 1000:.0f}]")
    print(f"Workflow Canvas,     start → first frame: median {med(first) * 1000:6.0f} ms  [{min(first) * 1000:.0f}–{max(first) * 1000:.0f}]")
    print(f"Workflow Canvas,     start → deck filled: median {med(deck) * 1000:6.0f} ms  [{min(deck) * 1000:.0f}–{max(deck) * 1000:.0f}]")
    print(f"ratio first frame canvas / minimal: {med(first) / med(minimal):.2f}x  (target ≤ 1.5x)")


if __name__ == "__main__":
    main()
