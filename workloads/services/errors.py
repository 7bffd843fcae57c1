"""What a service can answer instead of a result.

`retryable` is the service's own word on whether trying again can help: a 503 can, a declined
card cannot. Engines map it onto their own retry rules (Temporal's non-retryable error types,
Step Functions' error names); `type_name` is the name they match on.
"""

from __future__ import annotations


class ServiceError(Exception):
    retryable: bool = False
    http_status: int = 500

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message

    @property
    def type_name(self) -> str:
        return type(self).__name__


class ServiceUnavailable(ServiceError):
    """HTTP 503: the service is sick for a while; a later attempt may succeed."""

    retryable = True
    http_status = 503


class CardDeclined(ServiceError):
    """The bank said no. Retrying will not change its mind."""

    http_status = 402


class OutOfStock(ServiceError):
    http_status = 409


class AddressRejected(ServiceError):
    http_status = 422


class MailboxUnavailable(ServiceError):
    http_status = 550


#: The non-retryable error each service raises when a `reject` fault is injected.
REJECTIONS: dict[str, type[ServiceError]] = {
    "payment": CardDeclined,
    "inventory": OutOfStock,
    "shipping": AddressRejected,
    "email": MailboxUnavailable,
}

ERROR_TYPES: dict[str, type[ServiceError]] = {
    cls.__name__: cls for cls in (ServiceUnavailable, CardDeclined, OutOfStock, AddressRejected, MailboxUnavailable)
}
