"""Which service publishes each event type, and so the one CloudEvents ``source`` a
consumer accepts for it.

Behind the brokers' own permissions (docs/security.md), a consumer dead-letters an
event whose ``source`` is not its type's producer: a workload that may reach the
broker still cannot pass its events off as another service's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.errors import UnknownEventTypeError

USER_SERVICE = "user-service"
ORDER_SERVICE = "order-service"

PRODUCERS: Mapping[str, str] = MappingProxyType(
    {
        "user.registered": USER_SERVICE,
        "user.deactivated": USER_SERVICE,
        "order.placed": ORDER_SERVICE,
        "order.confirmed": ORDER_SERVICE,
        "order.rejected": ORDER_SERVICE,
        "order.cancelled": ORDER_SERVICE,
    }
)


def source_of(service: str) -> str:
    """The CloudEvents ``source`` of every event ``service`` raises."""
    return f"urn:eda:{service}"


def producer_of(event_type: str) -> str:
    try:
        return PRODUCERS[event_type]
    except KeyError:
        raise UnknownEventTypeError(f"no producer is declared for {event_type!r}") from None


def allowed_source(event_type: str) -> str:
    """The only ``source`` a consumer of ``event_type`` accepts."""
    return source_of(producer_of(event_type))


def event_types_of(service: str) -> tuple[str, ...]:
    return tuple(sorted(name for name, producer in PRODUCERS.items() if producer == service))
