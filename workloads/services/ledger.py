"""What the services recorded, read back as plain data: the statement a customer could read."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
