"""The outside world ORDER #1001 touches: payment, inventory, shipping and email.

Every engine calls these same services, so the verdicts come from what the services saw (their
ledger), never from an engine's own claims.
"""

from workloads.services.errors import (
    AddressRejected,
    CardDeclined,
    MailboxUnavailable,
    OutOfStock,
    ServiceError,
    ServiceUnavailable,
)
from workloads.services.ledger import Ledger
from workloads.services.world import Services

__all__ = [
    "AddressRejected",
    "CardDeclined",
    "Ledger",
    "MailboxUnavailable",
    "OutOfStock",
    "ServiceError",
    "ServiceUnavailable",
    "Services",
]
