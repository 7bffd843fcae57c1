"""The command each browser tab runs: the app, which exits by itself if the server process dies.

textual-serve talks to the app over its stdin and stdout pipes. If the server is killed (SIGKILL,
a crash, a closed terminal) nobody is left to send "quit", and Textual's web driver does not end
the app when its stdin closes, so the app would run on with no one to see it. Here a daemon
thread watches the parent: when the server is gone (the process is re-parented), the app exits.
On Linux the kernel is also asked to send SIGTERM at the parent's death (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import os
import sys
import threading

#: How often the watcher looks for its parent (a tab outliving its server by at most this long).
WATCH_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1


def watch_parent(parent: int) -> None:
    """Exit the process as soon as `parent` is no longer its parent."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(WATCH_SECONDS):
            if os.getppid() != parent:
                os._exit(0)  # the server is gone: nothing to flush to, no one to ask

    threading.Thread(target=watch, name="serve-parent-watch", daemon=True).start()


def _ask_kernel_to_signal_on_parent_death() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: the watcher thread still ends the app
        pass


def main() -> int:
    parent = os.getppid()
    _ask_kernel_to_signal_on_parent_death()
    if os.getppid() != parent or parent == 1:  # the server died before we could watch it
        return 0
    watch_parent(parent)
    from app.cli.main import main as cli

    return cli([])


if __name__ == "__main__":
    raise SystemExit(main())
