"""The nightly ETL's own data, shared by its three engine versions: last night's source orders,
the warehouse table, and the three steps over them.

Each engine's version calls these same steps, so "bad data" and "a dropped warehouse connection"
mean the same thing on every engine and the warehouse table is the evidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict, cast

from engines.clock import EPOCH, VirtualClock
from engines.errors import WorkflowCanvasError
from engines.store import Store, open_store

SCENARIOS = ("happy", "flaky-transform", "bad-data")
#: How many transform tries hit a dropped warehouse connection in "flaky-transform".
FLAKY_FAILURES = 1
SCHEMA_VERSION = 1
DDL = """
CREATE TABLE etl_source_orders (id INTEGER PRIMARY KEY, day TEXT NOT NULL, amount_cents TEXT NOT NULL);
CREATE TABLE etl_warehouse_daily (day TEXT PRIMARY KEY, orders INTEGER NOT NULL, revenue_cents INTEGER NOT NULL);
"""


class WarehouseRow(TypedDict):
    """One day of the warehouse table (etl_warehouse_daily)."""

    day: str
    orders: int
    revenue_cents: int


class TransientWarehouseError(Exception):
    """The warehouse connection dropped: a later try can work."""


def seed(store: Store, day: str, *, bad: bool = False) -> None:
    """Yesterday's orders in the source table (one unparseable amount with `bad`)."""
    store.ensure_schema("nightly_etl", SCHEMA_VERSION, DDL)
    rows = [(day, "4200"), (day, "1999"), (day, "650")] + ([(day, "42,00 EUR")] if bad else [])
    with store.transaction() as c:
        c.executemany("INSERT INTO etl_source_orders (day, amount_cents) VALUES (?, ?)", rows)


class EtlTables:
    """The three steps over the ETL tables; what each engine's version calls."""

    def __init__(self, store: Store, flaky_failures: int = 0) -> None:
        self.store = store
        self.failures_left = flaky_failures

    def extract(self, ds: str) -> list[list]:
        rows = self.store.query("SELECT id, amount_cents FROM etl_source_orders WHERE day = ? ORDER BY id", (ds,))
        return [[r[0], r[1]] for r in rows]

    def transform(self, rows: list[list]) -> dict:
        """Sum the day's orders. Raises TransientWarehouseError (while flaky) or BadSourceRow."""
        if self.failures_left > 0:
            self.failures_left -= 1
            raise TransientWarehouseError("connection reset by the warehouse")
        total = 0
        for row_id, amount in rows:
            try:
                total += int(amount)
            except ValueError:
                raise BadSourceRow(f"etl_source_orders row {row_id}: amount_cents {amount!r} is not a number") from None
        return {"orders": len(rows), "revenue_cents": total}

    def load(self, ds: str, summary: dict) -> dict:
        with self.store.transaction() as c:
            c.execute("INSERT OR REPLACE INTO etl_warehouse_daily VALUES (?, ?, ?)",
                      (ds, summary["orders"], summary["revenue_cents"]))
        return {"day": ds, **summary}

    def warehouse(self) -> list[WarehouseRow]:
        return [cast(WarehouseRow, dict(r)) for r in self.store.query("SELECT * FROM etl_warehouse_daily ORDER BY day")]


class BadSourceRow(ValueError):
    """A source row that cannot be parsed: no retry will ever fix it."""


class UnknownScenario(WorkflowCanvasError):
    """A scenario name the nightly ETL does not have (the message lists the ones it has)."""


def prepare(scenario: str, engine: str, db: str | Path = ":memory:") -> tuple[VirtualClock, EtlTables, str]:
    """A fresh clock at day 0 and last night's source rows (bad ones for bad-data): how every
    engine's run starts."""
    if scenario not in SCENARIOS:
        raise UnknownScenario(f"unknown scenario {scenario!r} for nightly-etl on {engine}; choose one of {', '.join(SCENARIOS)}")
    store = open_store(db)
    ds = EPOCH.date().isoformat()
    seed(store, ds, bad=scenario == "bad-data")
    return VirtualClock(EPOCH), EtlTables(store, FLAKY_FAILURES if scenario == "flaky-transform" else 0), ds
