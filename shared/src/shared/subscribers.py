"""Every subscriber of the platform by name: which context it belongs to and which
event type it consumes. Importable without the services, for the tools that need only
names (the scaling operator, ``eda dlq``, the chart's checks).

The services declare their handlers against this table (``shared.handlers``); a
handler without an entry here, or an entry without a handler, fails at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class SubscriberName:
    name: str
    """Consumer group and queue name, before any deployment prefix."""
    event_type: str
    context: str
    """The bounded context whose handler runs, and whose database it writes."""


SUBSCRIBER_NAMES: tuple[SubscriberName, ...] = (
    SubscriberName("orders.user-registered", "user.registered", "orders"),
    SubscriberName("orders.user-deactivated", "user.deactivated", "orders"),
    SubscriberName("orders.order-placed", "order.placed", "orders"),
    SubscriberName("users.order-confirmed", "order.confirmed", "users"),
    SubscriberName("users.order-cancelled", "order.cancelled", "users"),
    SubscriberName("users.order-rejected", "order.rejected", "users"),
)

BY_NAME: Mapping[str, SubscriberName] = MappingProxyType(
    {subscriber.name: subscriber for subscriber in SUBSCRIBER_NAMES}
)


class UnknownSubscriberError(LookupError):
    pass


def subscriber_named(name: str) -> SubscriberName:
    try:
        return BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(BY_NAME))
        raise UnknownSubscriberError(f"no subscriber is named {name!r}; known: {known}") from None


def subscriber_of(context: str, event_type: str) -> SubscriberName:
    for subscriber in SUBSCRIBER_NAMES:
        if (subscriber.context, subscriber.event_type) == (context, event_type):
            return subscriber
    raise UnknownSubscriberError(
        f"the {context} context has no subscriber for {event_type!r} in shared.subscribers"
    )
