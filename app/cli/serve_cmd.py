"""`workflow-canvas serve [--port N] [--max-sessions N]`: the app in a browser for a classroom, on 127.0.0.1 only.

Every browser tab gets its own app process (textual-serve starts one per websocket), at most
`--max-sessions` at once. Only pages this server served may open a session (Origin and Host are
checked, see app/serve), a tab's terminal is at most 400 × 150 cells, and a tab's process ends
when the tab closes or the server stops. Add `?fontsize=28` to the URL to enlarge it for a projector.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from app.cli.args import bounded_int

HOST = "127.0.0.1"  # never another interface: the app runs engines on this machine
DEFAULT_PORT = 8000
#: Tabs served at once: a teacher's projector and a few students' tabs, each an app process (~60 MiB).
DEFAULT_MAX_SESSIONS = 4
MAX_SESSIONS = 64


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the app in a web browser on 127.0.0.1 (one app process per tab)",
        description="Serve the app through textual-serve on 127.0.0.1 only. "
        "Open the printed URL; add ?fontsize=28 for a projector.",
    )
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N", help=f"TCP port (default {DEFAULT_PORT})")
    parser.add_argument("--max-sessions", type=bounded_int(1, MAX_SESSIONS, unit="tabs"), default=DEFAULT_MAX_SESSIONS,
                        metavar="N", help=f"browser tabs served at once, each its own app process "
                                          f"(default {DEFAULT_MAX_SESSIONS}, at most {MAX_SESSIONS})")
    parser.set_defaults(handler=serve)


def _port(text: str) -> int:
    """A TCP port; argparse reports a bad one as a usage error naming --port."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 1…65535")
    return port


def app_command() -> str:
    """The command textual-serve starts for each browser tab: this Python, the app's TUI.

    textual-serve runs it through `sh -c`; `exec` makes the app the shell's own process, so the
    process the server holds (and ends) is the app itself, not a shell that would leave it orphaned.
    """
    return f"exec {shlex.quote(sys.executable)} -m app.serve.session"


def serve(args) -> int:
    from app.serve.server import CanvasServer

    print(f"Workflow Canvas on http://{HOST}:{args.port}/  (at most {args.max_sessions} tab(s); "
          "add ?fontsize=28 for a projector; Ctrl+C stops)", flush=True)
    CanvasServer(app_command(), host=HOST, port=args.port, max_sessions=args.max_sessions,
                 title="Workflow Canvas").serve()
    return 0
