"""textual-serve's Server, guarded: who may connect, how big a terminal, how many tabs, and no process left behind.

textual-serve gives each websocket its own app process (`AppService`) and ends it by sending a
"quit" packet and waiting; an app that never reads it (one busy drawing a 3000 × 3000 screen)
stayed forever, even after Ctrl+C on the server. `CanvasServer` hooks in where textual-serve
lets a subclass:

* `_make_app`: adds a middleware that refuses a foreign Host or Origin (403), refuses a tab past
  `max_sessions` with a page that says so (503), and clamps the URL's width/height;
* `_process_messages`: hands textual-serve's message loop a view of the session whose
  `set_terminal_size` clamps each "resize" frame, and when the tab goes, makes sure its app
  process goes too (quit, then SIGTERM, then SIGKILL);
* `on_shutdown`: closes every tab's websocket and ends every app process before the server exits.
"""

from __future__ import annotations

import asyncio
import html
import logging
from asyncio.subprocess import Process
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, cast

from aiohttp import WSCloseCode, web
from aiohttp.typedefs import Middleware
from textual_serve.app_service import AppService
from textual_serve.server import Server

from app.serve.guard import ServedAddress, bounded_size, query_size

log = logging.getLogger("workflow-canvas.serve")

#: How long an app process has to quit by itself after its tab closed, then after SIGTERM.
QUIT_GRACE_SECONDS = 3.0
TERM_GRACE_SECONDS = 2.0
#: The `?fontsize=` range the page accepts (a projector needs about 28).
FONT_SIZES = (6, 72)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Session:
    """One browser tab: its websocket and the app process textual-serve started for it."""

    websocket: web.WebSocketResponse
    process: Process | None


class _BoundedTerminal:
    """The session as textual-serve's message loop sees it, with each "resize" frame clamped.

    Everything else (stdin, focus, blur) goes to the real `AppService` unchanged.
    """

    def __init__(self, service: AppService) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    async def set_terminal_size(self, width: object, height: object) -> None:
        size = bounded_size(width, height)
        if size is None:
            log.warning("ignored a resize frame with a size that is not two whole numbers: %r × %r", width, height)
            return
        await self._service.set_terminal_size(*size)


class CanvasServer(Server):
    """Serve the app to browser tabs on one loopback address, at most `max_sessions` at a time."""

    def __init__(self, command: str, *, host: str, port: int, max_sessions: int, title: str,
                 quit_grace: float = QUIT_GRACE_SECONDS) -> None:
        super().__init__(command, host=host, port=port, title=title)
        #: Seconds a tab's app process has to quit by itself before it is sent SIGTERM.
        self.quit_grace = quit_grace
        self.address = ServedAddress(host, port)
        self.max_sessions = max_sessions
        #: Websockets being served right now (counted before the app process starts).
        self.open_sessions = 0
        self.sessions: dict[int, Session] = {}

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard_middleware())
        return app

    def _guard_middleware(self) -> Middleware:
        @web.middleware
        async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            websocket = request.path == "/ws"
            why = self.address.refusal(host=request.headers.get("Host"), origin=request.headers.get("Origin"),
                                       websocket=websocket)
            if why is not None:
                log.warning("%s %s %s", request.method, request.path_qs[:200], why)
                return web.Response(status=403, text=why + "\n")
            if request.path == "/":
                if self.open_sessions >= self.max_sessions:
                    return self._full_page()
                return await handler(request.clone(rel_url=_bounded_font(request)))
            if not websocket:
                return await handler(request)
            if self.open_sessions >= self.max_sessions:  # a tab that loaded the page before the last seat went
                return web.Response(status=503, text=self._full_text() + "\n")
            width, height = query_size(request.query.get("width"), request.query.get("height"))
            self.open_sessions += 1
            try:
                return await handler(request.clone(
                    rel_url=request.rel_url.update_query(width=str(width), height=str(height))))
            finally:
                self.open_sessions -= 1

        return guard

    def _full_text(self) -> str:
        return (f"Workflow Canvas is already open in {self.open_sessions} tab(s), the most this server allows "
                f"(--max-sessions {self.max_sessions}). Close one of them and reload this page.")

    def _full_page(self) -> web.Response:
        text = html.escape(self._full_text())
        body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)} — full</title>"
                f"</head><body style='font-family: sans-serif; margin: 3em'><h1>All sessions are in use</h1>"
                f"<p>{text}</p></body></html>")
        return web.Response(status=503, text=body, content_type="text/html")

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        process = app_service._process  # textual-serve keeps the tab's process here; no public handle exists
        key = id(websocket)
        self.sessions[key] = Session(websocket, process)
        try:
            await super()._process_messages(websocket, cast(AppService, _BoundedTerminal(app_service)))
        finally:
            self.sessions.pop(key, None)
            if process is not None:  # textual-serve now sends "quit"; this makes sure the process goes
                asyncio.get_running_loop().create_task(end_process(process, quit_grace=self.quit_grace))

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C or SIGTERM: close every tab and end every app process before the server exits."""
        sessions = list(self.sessions.values())
        await asyncio.gather(*(s.websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
                               for s in sessions), return_exceptions=True)
        await asyncio.gather(*(end_process(s.process, quit_grace=min(self.quit_grace, 0.5), term_grace=1.0)
                               for s in sessions if s.process is not None),
                             return_exceptions=True)


async def end_process(process: Process, *, quit_grace: float = QUIT_GRACE_SECONDS,
                      term_grace: float = TERM_GRACE_SECONDS) -> None:
    """Wait for an app process to quit; SIGTERM it if it has not, SIGKILL if that is ignored too."""
    for grace, stop in ((quit_grace, process.terminate), (term_grace, process.kill)):
        try:
            await asyncio.wait_for(process.wait(), grace)
            return
        except asyncio.TimeoutError:
            pass
        try:
            stop()
            log.warning("app process %s did not quit; sent %s", process.pid, stop.__name__)
        except ProcessLookupError:
            return
    await process.wait()


def _bounded_font(request: web.Request) -> Any:
    """The page's URL with `?fontsize=` clamped into FONT_SIZES (left out when it is not a number)."""
    text = request.query.get("fontsize")
    if text is None:
        return request.rel_url
    try:
        size = int(text)
    except ValueError:
        return request.rel_url.without_query_params("fontsize")
    low, high = FONT_SIZES
    return request.rel_url.update_query(fontsize=str(min(max(size, low), high)))
