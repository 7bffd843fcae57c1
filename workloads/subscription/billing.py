"""The subscription's facts, its table, the customer's actions and the service calls of a renewal.

One customer, one plan, renewed on the first of every month for a three-year term (36 renewals,
like a subscription whose `cancel_at` is three years out): wait a month, charge the card on
file, email the receipt. Period k is the k-th renewal, due on `renewal_at(k)` = 2026-01-01 plus
k calendar months; "month k" in the scenarios is the month that ends with renewal k.

The subscriptions table (`sub_subscriptions`) holds what a billing system keeps between
renewals: the price, the card on file, active or cancelled. The DAG's runs read it (nothing
else survives between two DAG runs), the state machine's charge function reads it (a running
execution cannot be told anything), and the customer's account page writes it on every engine;
the replay workflow also hears each change as a signal and keeps it in its own state.

The card network declines an expired card: `charge_renewal` sends such a charge through the
payment service's own refusal (one CardDeclined answer), so the decline is in the service's
call log while nothing reaches the ledger. Each charge carries an idempotency key per period
and card: a payment provider such as Stripe stores the answer of the first request under a key,
a decline included, and refuses the same key with other parameters, so a retry with a new card
needs a new key; the period in the key is what keeps a period to one charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TypedDict, cast

from engines.clock import EPOCH, VirtualClock, as_utc
from engines.errors import WorkflowCanvasError
from engines.store import Store, open_store
from workloads.services import Services

SCENARIOS = ("happy", "cancel", "declined", "price-change")
SUB_ID = "SUB-42"
WORKFLOW_ID = "subscription-SUB-42"
CUSTOMER = "sam@example.com"
PLAN = "Pro monthly"
#: Renewals the scenarios play: a three-year term.
TERM_PERIODS = 36
PRICE_CENTS = 1_500
NEW_PRICE_CENTS = 1_800

#: The month each scenario's customer acts in, and the day of that month.
CANCEL_MONTH, CANCEL_DAY = 14, 10
DECLINED_PERIOD = 5
UPDATE_AFTER = timedelta(hours=36)  # the customer adds a new card a day and a half after the decline
PRICE_MONTH, PRICE_DAY = 20, 10
#: How long a declined renewal waits for a new card before the subscription ends unpaid.
DUNNING_WINDOW = timedelta(days=14)

CANCEL_SIGNAL = "cancelSubscription"
PRICE_SIGNAL = "changePrice"
CARD_SIGNAL = "updateCard"
STATUS_QUERY = "getSubscriptionStatus"


class Card(TypedDict):
    card_id: str
    expires: str  # YYYY-MM: valid through the end of that month


#: The card on file at the start, and the one the customer adds when it is declined.
CARD: Card = {"card_id": "card_visa_4242", "expires": "2030-12"}
EXPIRING_CARD: Card = {"card_id": "card_visa_4242", "expires": "2026-05"}  # declined from renewal 5 (2026-06-01)
NEW_CARD: Card = {"card_id": "card_mc_5454", "expires": "2031-08"}


class SubscriptionStatus(StrEnum):
    """Where a subscription stands (Stripe's words)."""

    ACTIVE = "active"
    CANCELED = "canceled"
    PAST_DUE = "past_due"      # a renewal was declined and no new card came within the dunning window
    ENDED = "ended"            # the term's last renewal was made


class SubscriptionRow(TypedDict):
    """One subscription's row in sub_subscriptions."""

    subscription_id: str
    customer: str
    plan: str
    price_cents: int
    card_id: str
    card_expires: str
    status: str
    canceled_at: str | None
    updated_at: str


class BillingError(WorkflowCanvasError):
    """An unknown scenario, or a subscription the table does not hold."""


SCHEMA_VERSION = 1
DDL = """
CREATE TABLE sub_subscriptions (
    subscription_id TEXT PRIMARY KEY, customer TEXT NOT NULL, plan TEXT NOT NULL,
    price_cents INTEGER NOT NULL, card_id TEXT NOT NULL, card_expires TEXT NOT NULL,
    status TEXT NOT NULL, canceled_at TEXT, updated_at TEXT NOT NULL
);
"""


# --- time --------------------------------------------------------------------------------------
def add_months(t: datetime, months: int) -> datetime:
    """`t` moved by whole calendar months (the day kept; every renewal falls on the 1st)."""
    y, m = divmod(t.month - 1 + months, 12)
    return t.replace(year=t.year + y, month=m + 1)


def renewal_at(period: int) -> datetime:
    """When renewal `period` is due: the 1st of the month, `period` months after 2026-01-01."""
    return add_months(EPOCH, period)


def period_of(at: datetime) -> int:
    """The renewal a charge made at `at` belongs to: the last one due at or before it."""
    at = as_utc(at)
    k = (at.year - EPOCH.year) * 12 + at.month - EPOCH.month
    return k if renewal_at(k) <= at else k - 1


def month_day(month: int, day: int) -> datetime:
    """Day `day` of "month `month`" (the month that ends with renewal `month`)."""
    return renewal_at(month - 1) + timedelta(days=day - 1)


def horizon() -> datetime:
    """How far each run's clock goes: the term's last renewal plus the dunning window."""
    return renewal_at(TERM_PERIODS) + DUNNING_WINDOW


def card_expired(card: Card, at: datetime) -> bool:
    """Valid through the end of its YYYY-MM month."""
    year, month = (int(x) for x in card["expires"].split("-"))
    return as_utc(at) >= add_months(datetime(year, month, 1, tzinfo=EPOCH.tzinfo), 1)


# --- the table ---------------------------------------------------------------------------------
class Subscriptions:
    """The subscriptions table: the plan, price, card and status a billing system keeps."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_schema("subscription", SCHEMA_VERSION, DDL)

    def create(self, card: Card, at: datetime, price_cents: int = PRICE_CENTS) -> SubscriptionRow:
        with self.store.transaction() as c:
            c.execute("INSERT OR REPLACE INTO sub_subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                      (SUB_ID, CUSTOMER, PLAN, price_cents, card["card_id"], card["expires"],
                       SubscriptionStatus.ACTIVE.value, as_utc(at).isoformat()))
        return self.row()

    def row(self, subscription_id: str = SUB_ID) -> SubscriptionRow:
        r = self.store.one("SELECT * FROM sub_subscriptions WHERE subscription_id = ?", (subscription_id,))
        if r is None:
            raise BillingError(f"subscription {subscription_id}: no row in sub_subscriptions")
        return cast(SubscriptionRow, dict(r))

    def card(self, subscription_id: str = SUB_ID) -> Card:
        r = self.row(subscription_id)
        return {"card_id": r["card_id"], "expires": r["card_expires"]}

    def _set(self, sql: str, params: tuple, at: datetime) -> SubscriptionRow:
        self.row()
        with self.store.transaction() as c:
            c.execute(f"UPDATE sub_subscriptions SET {sql}, updated_at = ? WHERE subscription_id = ?",
                      (*params, as_utc(at).isoformat(), SUB_ID))
        return self.row()

    def cancel(self, at: datetime) -> SubscriptionRow:
        return self._set("status = ?, canceled_at = ?", (SubscriptionStatus.CANCELED.value, as_utc(at).isoformat()), at)

    def change_price(self, price_cents: int, at: datetime) -> SubscriptionRow:
        return self._set("price_cents = ?", (price_cents,), at)

    def update_card(self, card: Card, at: datetime) -> SubscriptionRow:
        return self._set("card_id = ?, card_expires = ?", (card["card_id"], card["expires"]), at)

    def set_status(self, status: SubscriptionStatus, at: datetime) -> SubscriptionRow:
        return self._set("status = ?", (status.value,), at)


@dataclass
class World:
    """What every engine's run starts from: a virtual clock at 2026-01-01, one database, the
    services and the subscriptions table with the customer's row."""

    clock: VirtualClock
    store: Store
    services: Services
    subscriptions: Subscriptions
    scenario: str

    @classmethod
    def open(cls, scenario: str, engine: str, db: str | Path = ":memory:") -> "World":
        if scenario not in SCENARIOS:
            raise BillingError(f"unknown scenario {scenario!r} for subscription-renewal on {engine}; "
                               f"choose one of {', '.join(SCENARIOS)}")
        clock = VirtualClock(EPOCH)
        store = open_store(db)
        subs = Subscriptions(store)
        subs.create(EXPIRING_CARD if scenario == "declined" else CARD, EPOCH)
        return cls(clock, store, Services(store, clock), subs, scenario)

    def first_card(self) -> Card:
        return EXPIRING_CARD if self.scenario == "declined" else CARD


class CustomerAction(StrEnum):
    CANCEL = "cancel"
    CHANGE_PRICE = "change-price"
    UPDATE_CARD = "update-card"


@dataclass(frozen=True)
class Action:
    """What the customer (or the business, for a price) does on the account page, and when."""

    kind: CustomerAction
    at: datetime


def actions(scenario: str, day: float | None = None) -> list[Action]:
    """The scenario's one action, at its own time or on `day` (days after 2026-01-01, `--day`).

    The declined card's update comes after the decline, which each engine reaches at renewal 5;
    its time is fixed here so every engine hears it at the same moment. An action at the very
    instant a renewal falls due may land on either side of it, engine by engine: pick another time.
    """
    kinds = {"cancel": CustomerAction.CANCEL, "price-change": CustomerAction.CHANGE_PRICE,
             "declined": CustomerAction.UPDATE_CARD}
    if scenario not in kinds:
        return []
    if day is not None:
        if not 0 <= day <= 3650:
            raise BillingError(f"--day must be between 0 and 3650 (the day the customer acts), got {day:g}")
        return [Action(kinds[scenario], EPOCH + timedelta(days=day))]
    default = {"cancel": month_day(CANCEL_MONTH, CANCEL_DAY), "price-change": month_day(PRICE_MONTH, PRICE_DAY),
               "declined": renewal_at(DECLINED_PERIOD) + UPDATE_AFTER}
    return [Action(kinds[scenario], default[scenario])]


def day_notes(scenario: str, day: float | None) -> list[str]:
    """What a `--day` that cannot act says about itself."""
    if day is None:
        return []
    if scenario == "happy":
        return [f"the happy scenario has no customer action: --day {day:g} changes nothing"]
    if EPOCH + timedelta(days=day) > horizon():
        return [f"the customer acted on day {day:g}, after the term's last renewal ({horizon():%Y-%m-%d}): "
                "the subscription had ended, so it changed nothing"]
    return []


def apply(subs: Subscriptions, action: Action, now: datetime) -> SubscriptionRow:
    """The account page writes the table (every engine; the replay version also signals)."""
    if action.kind is CustomerAction.CANCEL:
        return subs.cancel(now)
    if action.kind is CustomerAction.CHANGE_PRICE:
        return subs.change_price(NEW_PRICE_CENTS, now)
    return subs.update_card(NEW_CARD, now)


# --- the service calls ---------------------------------------------------------------------------
def renewal_key(period: int, card_id: str) -> str:
    return f"{SUB_ID}-renewal-{period:02d}-{card_id}"


def charge_renewal(services: Services, period: int, price_cents: int, card: Card, at: datetime) -> dict:
    """Charge one renewal. An expired card is declined by the payment service (CardDeclined, not
    retryable: trying the same card again cannot help)."""
    key = renewal_key(period, card["card_id"])
    charged_before = services.store.one("SELECT 1 FROM svc_dedup WHERE service = 'payment' AND key = ?", (key,))
    if card_expired(card, at) and charged_before is None:
        services.inject("payment", "reject", times=1, at=at)  # the card network's answer for this one call
    out = services.charge_card(SUB_ID, price_cents, key, at=at)
    return {**out, "period": period, "card_id": card["card_id"]}


def send_receipt(services: Services, period: int, price_cents: int, at: datetime) -> dict:
    return services.send_email(SUB_ID, CUSTOMER, f"receipt: {PLAN}, renewal {period}, ${price_cents / 100:,.2f}",
                               f"{SUB_ID}-receipt-{period:02d}", at=at)


def send_declined(services: Services, period: int, at: datetime) -> dict:
    """The dunning email: the renewal was declined, please update the card."""
    return services.send_email(SUB_ID, CUSTOMER, f"renewal {period} was declined: please update your card",
                               f"{SUB_ID}-declined-{period:02d}", at=at)
