"""`workflow-canvas serve` on a free 127.0.0.1 port, driven by a real websocket client (aiohttp).

What a student relies on: the page loads and a tab runs the app; a page from another site (or a
DNS-rebinding name) gets no session; a tab cannot ask for a terminal big enough to eat the
machine's memory; past `--max-sessions` a tab gets a page saying so; and no app process outlives
its tab or the server.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

aiohttp = pytest.importorskip("aiohttp")

ANSI = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
#: Cursor moves in the app's output: where it draws, so how big a terminal it draws.
MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
CLI = Path(sys.executable).with_name("workflow-canvas")
#: How long a step may take on a loaded 2-core machine before the test calls it broken (not a speed bound).
PATIENCE = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A `workflow-canvas serve` process on a free port."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.port = free_port()
        env = {**os.environ, "WORKFLOW_CANVAS_HOME": str(tmp_path / "home")}
        self.proc = subprocess.Popen([str(CLI), "serve", "--port", str(self.port), *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start: {self.proc.stdout.read().decode(errors='replace')}")
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app_processes(self) -> list[int]:
        """The app processes the server started (its children), by pid."""
        return [pid for pid, ppid in _processes() if ppid == self.proc.pid]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:  # and anything the server started that is still in its process group (a failed test's leftovers)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def serve(tmp_path):
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(tmp_path, *args))
        return started[-1]

    yield start
    for s in started:
        s.stop()


def _processes() -> list[tuple[int, int]]:
    """(pid, parent pid) of every live process (zombies are processes that have exited)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                state, ppid = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[:2]
            except OSError:
                continue
            if state != "Z":
                out.append((int(entry), int(ppid)))
    return out


def _alive(pid: int) -> bool:
    return any(p == pid for p, _ in _processes())


def _eventually(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _status(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def _read_until(ws, seen: list[str], done) -> None:
    """Collect the app's output into `seen` until `done(text)`; fail if the session closes first."""
    deadline = time.monotonic() + PATIENCE
    while not done("".join(seen)):
        assert time.monotonic() < deadline, "the app never drew what was expected"
        msg = await ws.receive(timeout=PATIENCE)
        if msg.type == aiohttp.WSMsgType.BINARY:
            seen.append(msg.data.decode(errors="replace"))
        elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR):
            raise AssertionError("the session closed")


def test_serve_listens_on_loopback_and_serves_the_page(serve):
    s = serve()
    status, page = _status(f"{s.url}/?fontsize=28")
    assert status == 200
    assert f"ws://127.0.0.1:{s.port}/ws" in page and "Workflow Canvas" in page
    assert _status(f"{s.url}/?fontsize=100000")[1].count('data-font-size="72"') == 1  # bounded too
    # nothing listens on the machine's other addresses
    other = [a for a in {i[4][0] for i in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} if not a.startswith("127.")]
    for address in other:
        with pytest.raises(OSError):
            socket.create_connection((address, s.port), timeout=0.5).close()


def test_a_foreign_origin_or_host_gets_no_session(serve):
    s = serve()

    async def handshake(**options) -> int:
        async with aiohttp.ClientSession() as http:
            try:
                async with http.ws_connect(f"{s.url}/ws", **options):
                    return 101
            except aiohttp.WSServerHandshakeError as error:
                return error.status

    # A page on another site opening the websocket (cross-site websocket hijacking): refused.
    assert asyncio.run(handshake(origin="http://evil.example")) == 403
    assert asyncio.run(handshake(origin=f"http://127.0.0.1:{s.port + 1}")) == 403
    assert asyncio.run(handshake()) == 403  # no Origin at all: no browser does that
    # A DNS-rebinding name: the browser sends the attacker's Host to our port.
    assert asyncio.run(handshake(origin=f"http://evil.example:{s.port}",
                                 headers={"Host": f"evil.example:{s.port}"})) == 403
    status, text = _status(f"{s.url}/", Host=f"evil.example:{s.port}")
    assert status == 403 and "Host 'evil.example" in text
    assert _status(f"{s.url}/", Origin="http://evil.example")[0] == 403
    assert s.app_processes() == []  # no app process was ever started for them
    assert _status(f"{s.url}/", Origin=s.url)[0] == 200  # the page's own origin passes


def test_a_huge_terminal_is_bounded_a_full_server_says_so_and_the_process_goes_with_its_tab(serve):
    s = serve("--max-sessions", "1")

    async def session() -> str:
        seen: list[str] = []
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{s.url}/ws?width=20000&height=20000", origin=s.url) as ws:
                await ws.send_json(["resize", {"width": 3000, "height": 3000}])
                await ws.send_json(["resize", {"width": "3000", "height": [1]}])  # not numbers: ignored
                await _read_until(ws, seen, lambda text: f"\x1b[{150};" in text)
                pids = s.app_processes()
                assert len(pids) == 1
                status, page = await asyncio.to_thread(_status, f"{s.url}/")
                assert status == 503 and "--max-sessions 1" in page and "Close one of them" in page
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    async with http.ws_connect(f"{s.url}/ws", origin=s.url):
                        pass
                assert refused.value.status == 503
        _eventually(lambda: not _alive(pids[0]), "the app process outlived its closed tab")
        return "".join(seen)

    output = asyncio.run(session())
    rows = [int(r) for r, _ in MOVE.findall(output)]
    cols = [int(c) for _, c in MOVE.findall(output)]
    assert max(rows) == 150 and max(cols) <= 400  # drawn at the bound, never at 3000 × 3000
    assert s.app_processes() == []
    assert _status(f"{s.url}/")[0] == 200  # the seat is free again


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_browser_session_runs_the_app_and_goes_when_the_server_goes(serve, how):
    s = serve()

    async def session() -> int:
        seen: list[str] = []
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{s.url}/ws?width=100&height=30", origin=s.url) as ws:
                await ws.send_json(["resize", {"width": 100, "height": 30}])
                await _read_until(ws, seen, lambda text: "Deck" in ANSI.sub("", text))
                await ws.send_json(["stdin", "l"])  # to the lessons
                await _read_until(ws, seen, lambda text: "Scene 01" in ANSI.sub("", text))
                [pid] = s.app_processes()
                s.proc.send_signal(how)  # the server alone, as Ctrl+C, a `kill` or a crash would
                await asyncio.to_thread(s.proc.wait, PATIENCE)
                return pid

    pid = asyncio.run(session())
    _eventually(lambda: not _alive(pid), f"the app process outlived the server's {how.name}")


def test_an_app_that_ignores_quit_and_sigterm_still_goes_with_its_tab(tmp_path):
    """textual-serve ends a tab's process by asking it to quit; a process that is stuck (or ignores
    SIGTERM) is still ended when its tab closes: quit, then SIGTERM, then SIGKILL."""
    port = free_port()
    stuck = (f"exec {sys.executable} -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
             "time.sleep(600)'")
    script = ("from app.serve.server import CanvasServer; "
              f"CanvasServer({stuck!r}, host='127.0.0.1', port={port}, max_sessions=2, title='stuck', "
              "quit_grace=0.2).serve()")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[2], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _eventually(lambda: _listening(port), "the server did not start")
        url = f"http://127.0.0.1:{port}"

        async def session() -> int:
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"{url}/ws", origin=url):
                    _eventually(lambda: bool([p for p, pp in _processes() if pp == proc.pid]), "no app process")
                    [pid] = [p for p, pp in _processes() if pp == proc.pid]
            return pid

        pid = asyncio.run(session())
        _eventually(lambda: not _alive(pid), "a stuck app process outlived its tab")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False

