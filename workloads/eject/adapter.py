"""canvas_services — the one small door exported workloads reach the services through.

`workflow-canvas export` writes this file into every export directory as `canvas_services.py`.
The exported code (a temporalio worker, an Airflow DAG file, Lambda handlers behind an ASL
definition) never opens SQLite itself and never re-implements a service: it asks this module for
the same `Services` (payment, inventory, shipping, email, with their ledger and idempotency keys)
and the same workload functions the mini-engines call. So the ledger a real engine's run leaves is
read back exactly as the mini-engines' ledgers are, and the two can be compared line by line.

The run's world is the SQLite file named by the environment variable CANVAS_DB: `run --on real`
sets it; a person running an export by hand sets it too (`workflow-canvas ledger --db FILE` reads
it back). Workflow Canvas itself must be importable (installed, or on PYTHONPATH).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the adapter imports Workflow Canvas lazily: an export is importable without it
    from engines.store import Store
    from workloads.services import Services

DB_ENV = "CANVAS_DB"


def db_path() -> str:
    """The run's world, from CANVAS_DB; a clear error when it is not set."""
    path = os.environ.get(DB_ENV, "")
    if not path:
        raise RuntimeError(f"{DB_ENV} is not set: point it at the SQLite file of the run's world "
                           "(`workflow-canvas ledger --db FILE` reads its ledger back)")
    return path


@cache
def store() -> Store:
    """The world's store (one per process: the services commit through it)."""
    from engines.store import open_store

    return open_store(db_path())


@cache
def services() -> Services:
    """The services over the world's store: every call passes its own `at=` time."""
    from workloads.services import Services

    return Services(store())


def utcnow() -> datetime:
    """The wall-clock time, for callers with no engine time to pass (a real engine's own clock)."""
    return datetime.now(timezone.utc)
