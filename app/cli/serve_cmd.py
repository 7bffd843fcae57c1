"""`workflow-canvas serve [--port N]`: the app in a browser for a classroom, on 127.0.0.1 only.

Every browser tab gets its own app process (textual-serve starts one per websocket). Add
`?fontsize=28` to the URL to enlarge it for a projector.
"""

from __future__ import annotations

import argparse
import shlex
import sys

HOST = "127.0.0.1"  # never another interface: the app runs engines on this machine
DEFAULT_PORT = 8000


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the app in a web browser on 127.0.0.1 (one app process per tab)",
        description="Serve the app through textual-serve on 127.0.0.1 only. "
        "Open the printed URL; add ?fontsize=28 for a projector.",
    )
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N", help=f"TCP port (default {DEFAULT_PORT})")
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
    """The command textual-serve starts for each browser tab: this Python, the app's TUI."""
    return f"{shlex.quote(sys.executable)} -m app.cli.main"


def serve(args) -> int:
    from textual_serve.server import Server

    print(f"Workflow Canvas on http://{HOST}:{args.port}/  (add ?fontsize=28 for a projector; Ctrl+C stops)", flush=True)
    Server(app_command(), host=HOST, port=args.port, title="Workflow Canvas").serve()
    return 0
