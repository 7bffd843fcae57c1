"""Payment, inventory, shipping and email as one SQLite-backed world with fault injection.

Each call is atomic: the effect, its ledger entry and its dedup record commit together, the way
a real payment provider stores an idempotency key with the charge it made. A call that carries
an idempotency key it has seen before returns the first answer and changes nothing: that is
what turns an engine's at-least-once activity into one charge on the statement (scene 06a).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from engines.clock import Clock, as_utc
from engines.errors import WorkflowCanvasError
from engines.store import Store, open_store
from workloads.services.errors import REJECTIONS, ServiceUnavailable
from workloads.services.ledger import LEDGER_MIGRATIONS, Ledger, read_ledger, seal_entry

SCHEMA_VERSION = 2  # 2: each ledger entry sealed with a checksum (ledger.py)
DDL = """
CREATE TABLE svc_ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, order_id TEXT NOT NULL, at TEXT NOT NULL,
    idempotency_key TEXT, amount_cents INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '',
    digest TEXT
);
CREATE TABLE svc_dedup (service TEXT NOT NULL, key TEXT NOT NULL, response TEXT NOT NULL, PRIMARY KEY (service, key));
CREATE TABLE svc_faults (service TEXT PRIMARY KEY, kind TEXT NOT NULL, remaining INTEGER);
CREATE TABLE svc_calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, service TEXT NOT NULL, operation TEXT NOT NULL,
    at TEXT NOT NULL, idempotency_key TEXT, answer TEXT NOT NULL
);
"""

ServiceName = Literal["payment", "inventory", "shipping", "email"]
FaultKind = Literal["unavailable", "reject", "overloaded"]
#: An overloaded service's backlog grows by this much with every call it refuses: the work of
#: turning a caller away. Calls that come faster than one per this many seconds keep it sick.
OVERLOAD_COST_PER_CALL_S = 1.0
SERVICES: tuple[str, ...] = ("payment", "inventory", "shipping", "email")


class ServicesError(WorkflowCanvasError):
    pass


class Services:
    """The four services over one store (which may be an engine's own database file)."""

    def __init__(self, store: Store | str | Path = ":memory:", clock: Clock | None = None) -> None:
        self.store = store if isinstance(store, Store) else open_store(store)
        self.store.ensure_schema("services", SCHEMA_VERSION, DDL, LEDGER_MIGRATIONS)
        self.clock = clock

    # --- fault injection ----------------------------------------------------------------------
    def inject(self, service: ServiceName, kind: FaultKind, times: int | None = None, *,
               backlog_s: float | None = None, at: datetime | None = None) -> None:
        """`unavailable`: 503 for the next `times` calls. `reject`: a non-retryable refusal
        (CardDeclined, OutOfStock, AddressRejected, MailboxUnavailable), forever unless `times`.

        `overloaded`: the service has `backlog_s` seconds of work queued from now (or `at`) and
        drains it in real time; it answers 503 until the backlog is gone, and every call it refuses
        adds OVERLOAD_COST_PER_CALL_S to the backlog. So how fast callers come back decides when it
        recovers: retries a second apart keep it down, backoff lets it drain (scene 06).
        """
        if service not in SERVICES:
            raise ServicesError(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
        if kind not in ("unavailable", "reject", "overloaded"):
            raise ServicesError(f"unknown fault {kind!r}; choose 'unavailable', 'reject' or 'overloaded'")
        remaining = times
        if kind == "overloaded":
            if backlog_s is None or not 0 <= backlog_s <= 86400:
                raise ServicesError(f"overloaded: backlog_s must be 0 to 86,400 seconds, got {backlog_s!r}")
            # For an overload, `remaining` holds when the backlog is gone, in ms since the epoch.
            remaining = round((self._now(at).timestamp() + backlog_s) * 1000)
        with self.store.transaction() as c:
            c.execute("INSERT OR REPLACE INTO svc_faults (service, kind, remaining) VALUES (?, ?, ?)", (service, kind, remaining))

    # --- the operations -----------------------------------------------------------------------
    def charge_card(self, order_id: str, amount_cents: int, idempotency_key: str | None = None, *, at: datetime | None = None) -> dict:
        return self._call("payment", "charge", order_id, idempotency_key, at, amount_cents=amount_cents,
                          detail="ChargeCard")

    def refund_card(self, order_id: str, amount_cents: int, idempotency_key: str | None = None, *, at: datetime | None = None) -> dict:
        return self._call("payment", "refund", order_id, idempotency_key, at, amount_cents=amount_cents,
                          detail="RefundCard")

    def reserve_inventory(self, order_id: str, sku: str = "WIDGET", qty: int = 1, idempotency_key: str | None = None, *,
                          at: datetime | None = None) -> dict:
        return self._call("inventory", "reservation", order_id, idempotency_key, at, detail=f"{qty} x {sku}")

    def release_inventory(self, order_id: str, sku: str = "WIDGET", qty: int = 1, idempotency_key: str | None = None, *,
                          at: datetime | None = None) -> dict:
        return self._call("inventory", "release", order_id, idempotency_key, at, detail=f"{qty} x {sku}")

    def ship_package(self, order_id: str, warehouse: str = "WH-East", idempotency_key: str | None = None, *,
                     at: datetime | None = None) -> dict:
        return self._call("shipping", "shipment", order_id, idempotency_key, at, detail=f"from {warehouse}")

    def send_confirmation_email(self, order_id: str, to: str = "customer@example.com", idempotency_key: str | None = None, *,
                                at: datetime | None = None) -> dict:
        return self._call("email", "email", order_id, idempotency_key, at, detail=f"to {to}")

    def pay_expense(self, claim_id: str, amount_cents: int, idempotency_key: str | None = None, *,
                    at: datetime | None = None) -> dict:
        """Reimburse an approved expense claim (workload C): money out, on the payment service."""
        return self._call("payment", "payout", claim_id, idempotency_key, at, amount_cents=amount_cents,
                          detail="PayExpense")

    def send_email(self, order_id: str, to: str, subject: str, idempotency_key: str | None = None, *,
                   at: datetime | None = None) -> dict:
        """Any other email than the order confirmation (approval requests, decisions)."""
        return self._call("email", "email", order_id, idempotency_key, at, detail=f"to {to}: {subject}")

    # --- reading back -------------------------------------------------------------------------
    def ledger(self, order_id: str | None = None) -> Ledger:
        return read_ledger(self.store, order_id)

    def calls(self, service: str | None = None) -> list[dict[str, Any]]:
        """Every call a service received, answered or not (the offered load of scene 06)."""
        sql = "SELECT service, operation, at, idempotency_key, answer FROM svc_calls"
        rows = self.store.query(sql + (" WHERE service = ?" if service else "") + " ORDER BY seq", (service,) if service else ())
        return [dict(r) for r in rows]

    # --- the one path every operation takes ---------------------------------------------------
    def _now(self, at: datetime | None) -> datetime:
        if at is not None:
            return as_utc(at)
        if self.clock is None:
            raise ServicesError("a service call needs a time: pass at= or give Services a clock")
        return self.clock.now()

    def _call(self, service: str, kind: str, order_id: str, key: str | None, at: datetime | None, *,
              amount_cents: int = 0, detail: str = "") -> dict:
        when = self._now(at).isoformat()
        failure: Exception | None = None
        with self.store.transaction() as c:
            if key is not None:
                seen = c.execute("SELECT response FROM svc_dedup WHERE service = ? AND key = ?", (service, key)).fetchone()
                if seen is not None:
                    c.execute("INSERT INTO svc_calls (service, operation, at, idempotency_key, answer) VALUES (?, ?, ?, ?, ?)",
                              (service, kind, when, key, "deduplicated"))
                    return {**json.loads(seen[0]), "deduplicated": True}
            fault = c.execute("SELECT kind, remaining FROM svc_faults WHERE service = ?", (service,)).fetchone()
            if fault is not None and fault[0] == "overloaded":
                now_ms = round(self._now(at).timestamp() * 1000)
                if now_ms >= fault[1]:  # the backlog has drained: the service is healthy again
                    c.execute("DELETE FROM svc_faults WHERE service = ?", (service,))
                    fault = None
                else:
                    c.execute("UPDATE svc_faults SET remaining = remaining + ? WHERE service = ?",
                              (round(OVERLOAD_COST_PER_CALL_S * 1000), service))
                    fault = ("unavailable", None)
            if fault is not None:
                fkind, remaining = fault
                if remaining is not None:
                    if remaining <= 1:
                        c.execute("DELETE FROM svc_faults WHERE service = ?", (service,))
                    else:
                        c.execute("UPDATE svc_faults SET remaining = remaining - 1 WHERE service = ?", (service,))
                if fkind == "unavailable":
                    failure = ServiceUnavailable(service, "503 Service Unavailable")
                else:
                    failure = REJECTIONS[service](service, f"{kind} for order {order_id} refused")
                c.execute("INSERT INTO svc_calls (service, operation, at, idempotency_key, answer) VALUES (?, ?, ?, ?, ?)",
                          (service, kind, when, key, type(failure).__name__))
            else:
                cur = c.execute(
                    "INSERT INTO svc_ledger (kind, order_id, at, idempotency_key, amount_cents, detail) VALUES (?, ?, ?, ?, ?, ?)",
                    (kind, order_id, when, key, amount_cents, detail))
                seal_entry(c, int(cur.lastrowid or 0))
                response = {"id": f"{kind}-{cur.lastrowid}", "order_id": order_id, "amount_cents": amount_cents, "detail": detail}
                if key is not None:
                    c.execute("INSERT INTO svc_dedup (service, key, response) VALUES (?, ?, ?)", (service, key, json.dumps(response)))
                c.execute("INSERT INTO svc_calls (service, operation, at, idempotency_key, answer) VALUES (?, ?, ?, ?, ?)",
                          (service, kind, when, key, "ok"))
                return {**response, "deduplicated": False}
        raise failure
