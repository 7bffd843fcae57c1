"""What the services recorded, read back as plain data: the statement a customer could read.

The ledger guards its sums. Each stored entry carries a checksum (`digest`) over its fields and
the previous entry's checksum, a hash chain as in an append-only audit log: a flipped digit in a
stored amount, an edited order id, or a row deleted or moved out of the middle no longer matches,
and reading the ledger fails with one line naming the entry (`LedgerTampered`) instead of
summing the wrong money silently. It detects changes made outside the services (a disk fault, a
hand edit with `sqlite3`); it is not a signature, so someone who also recomputes the chain is not
caught.

The services' table (world.py) seals each entry in the transaction that writes it
(`seal_entry`) and reads through `read_ledger`; `LEDGER_MIGRATIONS` adds the column to a file
written before the guard and seals its existing entries.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime
from typing import Any, Mapping

from pydantic import BaseModel, Field, ValidationError

from engines.errors import WorkflowCanvasError
from engines.store import Migration, Store

#: The stored columns each checksum covers, in order (seq included: an entry cannot move).
SEALED_COLUMNS = ("seq", "kind", "order_id", "at", "idempotency_key", "amount_cents", "detail")
GENESIS = "svc_ledger/1"


class LedgerTampered(WorkflowCanvasError):
    """A stored ledger entry does not match its checksum: it was changed outside the services."""


class Entry(BaseModel):
    kind: str  # charge, refund, reservation, release, shipment, email
    order_id: str
    at: datetime
    idempotency_key: str | None = None
    amount_cents: int = 0
    detail: str = ""


class Ledger(BaseModel):
    entries: list[Entry] = Field(default_factory=list)

    def of(self, kind: str, order_id: str | None = None) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind and (order_id is None or e.order_id == order_id)]

    def charged_cents(self, order_id: str | None = None) -> int:
        return sum(e.amount_cents for e in self.of("charge", order_id))

    def refunded_cents(self, order_id: str | None = None) -> int:
        return sum(e.amount_cents for e in self.of("refund", order_id))

    def paid_out_cents(self, order_id: str | None = None) -> int:
        return sum(e.amount_cents for e in self.of("payout", order_id))

    def statement_cents(self, order_id: str | None = None) -> int:
        """What the customer's card statement shows: charges less refunds."""
        return self.charged_cents(order_id) - self.refunded_cents(order_id)

    def counts(self, order_id: str | None = None) -> dict[str, int]:
        """The figures an `Outcome` carries, straight from the services."""
        return {
            "charged_cents": self.charged_cents(order_id),
            "refunded_cents": self.refunded_cents(order_id),
            "reserved": len(self.of("reservation", order_id)),
            "released": len(self.of("release", order_id)),
            "shipped": len(self.of("shipment", order_id)),
            "emailed": len(self.of("email", order_id)),
        }

    def statement_lines(self) -> list[str]:
        lines = []
        for e in self.entries:
            money = f"${e.amount_cents / 100:,.2f}" if e.amount_cents else ""
            sign = "-" if e.kind == "refund" else ""
            key = f"  key={e.idempotency_key}" if e.idempotency_key else ""
            lines.append(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.kind:<11} order {e.order_id:<6} {sign}{money:>8} {e.detail}{key}".rstrip())
        return lines


# --- the guard --------------------------------------------------------------------------------------
def entry_digest(row: Mapping[str, Any], previous: str) -> str:
    """The checksum of one stored entry: sha256 over its columns (as stored, types included) and
    the previous entry's checksum."""
    fields = json.dumps([row[c] for c in SEALED_COLUMNS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous}\n{fields}".encode()).hexdigest()[:32]


def _previous_digest(conn: sqlite3.Connection, seq: int) -> str:
    row = conn.execute("SELECT digest FROM svc_ledger WHERE seq < ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchone()
    return GENESIS if row is None or row[0] is None else str(row[0])


def _stored(conn: sqlite3.Connection, where: str, params: tuple) -> list[dict[str, Any]]:
    cur = conn.execute(f"SELECT {', '.join(SEALED_COLUMNS)} FROM svc_ledger {where} ORDER BY seq", params)
    return [dict(zip(SEALED_COLUMNS, r)) for r in cur.fetchall()]


def seal_entry(conn: sqlite3.Connection, seq: int) -> None:
    """Store the checksum of entry `seq`, just written; call it in the transaction that wrote it,
    so that the entry and its checksum commit together."""
    rows = _stored(conn, "WHERE seq = ?", (seq,))
    if not rows:
        raise LedgerTampered(f"ledger entry {seq}: not found to seal")
    conn.execute("UPDATE svc_ledger SET digest = ? WHERE seq = ?", (entry_digest(rows[0], _previous_digest(conn, seq)), seq))


def _add_and_seal(conn: sqlite3.Connection) -> None:
    """Migration to the guarded ledger: add the column and seal the entries already there."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(svc_ledger)")}
    if "digest" not in columns:
        conn.execute("ALTER TABLE svc_ledger ADD COLUMN digest TEXT")
    previous = GENESIS
    for row in _stored(conn, "", ()):
        previous = entry_digest(row, previous)
        conn.execute("UPDATE svc_ledger SET digest = ? WHERE seq = ?", (previous, row["seq"]))


#: For `ensure_schema("services", 2, DDL, LEDGER_MIGRATIONS)`: version 2 is the guarded ledger.
LEDGER_MIGRATIONS: dict[int, Migration] = {2: _add_and_seal}


def _describe(row: Mapping[str, Any]) -> str:
    return f"{row['kind']} for order {row['order_id']}, amount_cents {row['amount_cents']!r}"


def read_ledger(store: Store, order_id: str | None = None) -> Ledger:
    """The ledger, every entry checked against its checksum first (LedgerTampered names the first
    entry that does not match). A file whose ledger has no checksum column yet is read as it is."""
    columns = {r[1] for r in store.query("PRAGMA table_info(svc_ledger)")}
    guarded = "digest" in columns
    names = SEALED_COLUMNS + (("digest",) if guarded else ())
    rows = [dict(zip(names, r)) for r in store.query(f"SELECT {', '.join(names)} FROM svc_ledger ORDER BY seq")]
    previous = GENESIS
    for row in rows if guarded else ():
        digest = row.pop("digest")
        if digest is None:
            raise LedgerTampered(f"{store.path}: ledger entry {row['seq']} ({_describe(row)}) has no checksum; "
                                 f"the ledger was changed outside the services")
        if digest != entry_digest(row, previous):
            raise LedgerTampered(f"{store.path}: ledger entry {row['seq']} ({_describe(row)}) does not match "
                                 f"its checksum: it, or an entry before it, was changed outside the services")
        previous = digest
    entries = []
    for row in rows:
        if order_id is not None and row["order_id"] != order_id:
            continue
        try:
            entries.append(Entry(**{k: v for k, v in row.items() if k != "seq"}))
        except ValidationError as exc:  # a stored value of the wrong type, in a file without checksums
            err = exc.errors()[0]
            raise LedgerTampered(f"{store.path}: ledger entry {row['seq']} field {'.'.join(map(str, err['loc']))}: "
                                 f"{err['msg']} (stored {err.get('input')!r})") from None
    return Ledger(entries=entries)
