"""`workflow-canvas serve` on a free 127.0.0.1 port: the page loads and a browser session runs the app."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
CLI = Path(sys.executable).with_name("workflow-canvas")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "WORKFLOW_CANVAS_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([str(CLI), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start: {proc.stdout.read().decode(errors='replace')}")
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the app processes it started for us
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_serve_listens_on_loopback_and_serves_the_page(server):
    port = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?fontsize=28", timeout=10) as response:
        assert response.status == 200
        page = response.read().decode()
    assert f"ws://127.0.0.1:{port}/ws" in page
    assert "Workflow Canvas" in page
    # nothing listens on the machine's other addresses
    other = [a for a in {i[4][0] for i in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} if not a.startswith("127.")]
    for address in other:
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=0.5).close()


def test_a_browser_session_runs_the_app(server):
    import aiohttp

    port = server

    async def session() -> str:
        seen = ""
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30") as ws:
                await ws.send_json(["resize", {"width": 100, "height": 30}])

                async def wait_for(text: str) -> None:
                    nonlocal seen
                    deadline = time.monotonic() + 30
                    while text not in ANSI.sub("", seen):
                        assert time.monotonic() < deadline, f"{text!r} never appeared"
                        msg = await ws.receive(timeout=30)
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            seen += msg.data.decode(errors="replace")
                        elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            raise AssertionError("the session closed")

                await wait_for("Deck")
                await ws.send_json(["stdin", "l"])  # to the lessons
                await wait_for("Scene 01")
        return seen

    assert "Scene 01" in ANSI.sub("", asyncio.run(session()))
