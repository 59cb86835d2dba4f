"""Which context handles which event type, under which subscriber name.

Built from the services' own typed declarations (``EVENT_HANDLERS``), so a handler
is declared once, beside its code; the names come from ``shared.subscribers``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from order_service.entrypoints.event_handlers import EVENT_HANDLERS as ORDERS
from shared.events.producers import allowed_source
from shared.handlers import BoundHandlers, ContextHandlers
from shared.messaging import Subscription
from shared.settings import Settings
from shared.subscribers import UnknownSubscriberError
from user_service.entrypoints.event_handlers import EVENT_HANDLERS as USERS

CONTEXTS: tuple[ContextHandlers[Any], ...] = (ORDERS, USERS)


@dataclass(frozen=True, slots=True)
class Subscriber:
    event_type: str
    name: str
    owner: ContextHandlers[Any]

    @property
    def context(self) -> str:
        return self.owner.context

    @property
    def source(self) -> str:
        return self.owner.source

    @property
    def subscription(self) -> Subscription:
        """What it consumes, and the one source its event type may come from."""
        return Subscription(self.name, self.event_type, source=allowed_source(self.event_type))

    @property
    def database(self) -> str:
        return self.owner.database

    def handlers(self, settings: Settings) -> BoundHandlers:
        """Raises SettingsError, naming the variable, for a malformed handler setting."""
        return self.owner.bind(settings)[self.event_type]


SUBSCRIBERS: Mapping[str, Subscriber] = {
    event_type: Subscriber(event_type, subscriber.name, context)
    for context in CONTEXTS
    for event_type, subscriber in context.names.items()
}


def subscriber_for(event_type: str) -> Subscriber:
    try:
        return SUBSCRIBERS[event_type]
    except KeyError:
        known = ", ".join(sorted(SUBSCRIBERS))
        raise UnknownSubscriberError(
            f"no subscriber handles {event_type!r}; known event types: {known}"
        ) from None


__all__ = ["SUBSCRIBERS", "Subscriber", "UnknownSubscriberError", "subscriber_for"]
