"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client, no new dependency).

The served app draws into xterm.js on a canvas (WebGL or 2D), so the page has no text to read in
the DOM. A script run before the page's own captures the page's xterm `Terminal` as it is
created (textual-serve assigns it to `this.terminal`), and `screen()` reads the rows the terminal
shows from its buffer: what the browser paints, not what the server sent.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run")

#: Catches textual-serve's xterm Terminal (the object with loadAddon) when the page assigns it.
CAPTURE_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && typeof value.loadAddon === "function" && !window.__wcTerminal) window.__wcTerminal = value;
  },
});
"""
READ_SCREEN = """(() => {
  const t = window.__wcTerminal;
  if (!t) return null;
  const b = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) { const line = b.getLine(b.viewportY + i); rows.push(line ? line.translateToString(true) : ""); }
  return {cols: t.cols, rows: t.rows, text: rows.join("\\n"), closed: document.body.classList.contains("-closed")};
})()"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page, driven by CDP commands."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 720) -> None:
        self.profile, self.width, self.height = profile, width, height
        self.proc: subprocess.Popen[bytes] | None = None
        self._ids = itertools.count(1)

    async def __aenter__(self) -> Browser:
        exe = chromium()
        assert exe is not None
        self.proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
                                      f"--window-size={self.width},{self.height}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert self.proc.poll() is None and time.monotonic() < deadline, "chromium did not start"
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        self.session = aiohttp.ClientSession()
        while True:
            async with self.session.get(f"http://127.0.0.1:{port}/json/list") as response:
                pages = [t for t in await response.json() if t.get("type") == "page"]
            if pages:
                break
            await asyncio.sleep(0.1)
        self.ws = await self.session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.send("Page.enable")
        await self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                        deviceScaleFactor=1, mobile=False)
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE_TERMINAL)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        await self.session.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        await self.ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = await self.ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, f"the DevTools connection closed ({message.type})"
            data = json.loads(message.data)
            if data.get("id") == ident:
                assert "error" not in data, f"{method}: {data['error']}"
                return data.get("result", {})

    async def open(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def screen(self) -> dict[str, Any] | None:
        """The terminal's rows as the page shows them (cols, rows, text, closed), or None before it exists."""
        result = await self.send("Runtime.evaluate", expression=READ_SCREEN, returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for(self, test, what: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        shown: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            shown = await self.screen()
            if shown is not None and test(shown):
                return shown
            await asyncio.sleep(0.2)
        raise AssertionError(f"{what}; the page showed:\n{(shown or {}).get('text', '(no terminal)')}")

    async def press(self, key: str) -> None:
        """A real key press on the page (keyDown with its text, keyUp), as a keyboard sends it.

        The keys go to the focused element: the terminal gets focus first, as a click on it would.
        """
        await self.send("Runtime.evaluate", expression="window.__wcTerminal && window.__wcTerminal.focus()")
        code = f"Key{key.upper()}" if len(key) == 1 and key.isalpha() else key
        base = {"key": key, "code": code, "windowsVirtualKeyCode": ord(key.upper()) if len(key) == 1 else 0}
        await self.send("Input.dispatchKeyEvent", type="keyDown", text=key if len(key) == 1 else "", **base)
        await self.send("Input.dispatchKeyEvent", type="keyUp", **base)

    async def click(self, x: int, y: int) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    async def screenshot(self, path: Path) -> None:
        data = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(data["data"]))
