"""`workflow-canvas serve` in a real headless Chromium: q asks before it ends the tab's session.

The browser loads the page, xterm.js draws the app, and every assertion reads what that
terminal shows (tests/app/browser.py); keys are real key events on the page. At ?fontsize=28 on
a 1280×720 window — a classroom projector — the tab is about 80×23 cells with the fonts Debian
has (textual-serve asks for Roboto Mono, which falls back to DejaVu Sans Mono).
Set WORKFLOW_CANVAS_SHOTS to a folder to keep the screenshots taken on the way.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from .browser import Browser, chromium
from .test_serve import Served

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium is not installed (apt-get install chromium)")


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WORKFLOW_CANVAS_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_q_in_the_browser_asks_first_n_keeps_the_session_y_ends_it(tmp_path):
    served = Served(tmp_path)
    shots = shots_dir(tmp_path)
    try:
        async with Browser(tmp_path / "profile") as browser:
            await browser.open(served.url + "/?fontsize=28")
            shown = await browser.wait_for(lambda s: "Order fulfillment" in s["text"], "the canvas never appeared")
            assert 70 <= shown["cols"] <= 90 and 19 <= shown["rows"] <= 26, (shown["cols"], shown["rows"])
            assert "Deck" in shown["text"] and shown["text"].splitlines()[-1].startswith("c s i l")  # the screen keys
            await browser.screenshot(shots / "served_fontsize28.png")
            [app_pid] = served.app_processes()

            await browser.press("q")
            shown = await browser.wait_for(lambda s: "End this session?" in s["text"], "q did not ask first")
            assert "Stay (n)" in shown["text"] and "Quit (y)" in shown["text"] and not shown["closed"]
            await browser.screenshot(shots / "served_confirm_quit.png")

            await browser.press("n")
            shown = await browser.wait_for(lambda s: "End this session?" not in s["text"], "n did not close the question")
            assert not shown["closed"] and "Order fulfillment" in shown["text"]
            assert served.app_processes() == [app_pid]  # the same session goes on

            await browser.press("l")  # the session still takes keys
            await browser.wait_for(lambda s: "Scene 01" in s["text"], "l did not open the lessons after n")
            await browser.screenshot(shots / "served_lessons_fontsize28.png")

            await browser.press("q")
            await browser.wait_for(lambda s: "End this session?" in s["text"], "q did not ask the second time")
            await browser.press("y")
            await browser.wait_for(lambda s: s["closed"], "y did not end the session (the page never closed)")
            deadline = time.monotonic() + 30
            while served.app_processes():
                assert time.monotonic() < deadline, "the app process outlived its ended session"
                await asyncio.sleep(0.1)
    finally:
        served.stop()
