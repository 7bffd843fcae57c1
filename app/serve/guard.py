"""Which requests may reach the served app, and how big a terminal a tab may ask for.

A browser sends `Origin` with every websocket handshake and with cross-site requests, and `Host`
with every request: a page on another site (or a DNS-rebinding name for 127.0.0.1) shows up as
a foreign Origin or Host. Only the served address itself, by its IP or as `localhost`, passes.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The largest terminal a tab may ask for: well above any projector's (a 4K screen at a 9-pixel font
#: is about 420 × 120 cells), far below the 3000 × 3000 that made a 349 MiB app process.
MAX_WIDTH = 400
MAX_HEIGHT = 150
#: The smallest: below it the app cannot draw its frame at all.
MIN_WIDTH = 20
MIN_HEIGHT = 8
#: textual-serve's defaults when the URL names no size.
DEFAULT_WIDTH = 80
DEFAULT_HEIGHT = 24


def bounded_size(width: object, height: object) -> tuple[int, int] | None:
    """A requested terminal size clamped into the bounds; None if either side is not a whole number."""
    w, h = _whole(width), _whole(height)
    if w is None or h is None:
        return None
    return min(max(w, MIN_WIDTH), MAX_WIDTH), min(max(h, MIN_HEIGHT), MAX_HEIGHT)


def query_size(width: str | None, height: str | None) -> tuple[int, int]:
    """The size in a `/ws?width=…&height=…` URL, clamped; textual-serve's defaults when absent or not numbers."""
    def number(text: str | None, default: int) -> int:
        try:
            return int(text) if text is not None and len(text) <= 12 else default
        except ValueError:
            return default

    w, h = number(width, DEFAULT_WIDTH), number(height, DEFAULT_HEIGHT)
    return min(max(w, MIN_WIDTH), MAX_WIDTH), min(max(h, MIN_HEIGHT), MAX_HEIGHT)


def _whole(value: object) -> int | None:
    """A JSON number that is a whole number (not a bool, not 1e308), as an int."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e12:
        return int(value)
    return None


@dataclass(frozen=True)
class ServedAddress:
    """The address `serve` listens on, and the Host and Origin values that name it."""

    host: str
    port: int

    @property
    def hosts(self) -> frozenset[str]:
        """Host header values that name this server: its IP, or `localhost`, with the port."""
        names = {self.host, "localhost"}
        return frozenset(f"{name}:{self.port}" for name in names) | (
            frozenset(names) if self.port == 80 else frozenset())

    @property
    def origins(self) -> frozenset[str]:
        """Origin values of pages this server served itself."""
        return frozenset(f"http://{host}" for host in self.hosts)

    def refusal(self, *, host: str | None, origin: str | None, websocket: bool) -> str | None:
        """Why a request must be refused (one line naming the header), or None if it may pass."""
        if host is None or host.lower() not in self.hosts:
            return f"refused: Host {host!r} is not this server ({self.host}:{self.port})"
        if origin is None:
            if websocket:
                return "refused: a websocket without an Origin header (every browser sends one)"
            return None
        if origin.lower() not in self.origins:
            return f"refused: Origin {origin!r} is not this server (http://{self.host}:{self.port})"
        return None
