"""Domain events: one model per type and version, registered on import."""

from shared.events import orders, users
from shared.events.base import Event, Money
from shared.events.orders import (
    OrderCancelledV1,
    OrderConfirmedV1,
    OrderLine,
    OrderPlacedV1,
    OrderRejectedV1,
)
from shared.events.registry import all_models, event_types, latest, lookup, register
from shared.events.users import UserDeactivatedV1, UserRegisteredV1

__all__ = [
    "Event",
    "Money",
    "OrderCancelledV1",
    "OrderConfirmedV1",
    "OrderLine",
    "OrderPlacedV1",
    "OrderRejectedV1",
    "UserDeactivatedV1",
    "UserRegisteredV1",
    "all_models",
    "event_types",
    "latest",
    "lookup",
    "orders",
    "register",
    "users",
]
