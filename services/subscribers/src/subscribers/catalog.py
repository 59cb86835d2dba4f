"""Which context handles which event type, under which subscriber name.

Built from the services' own ``SUBSCRIPTIONS`` tables, so a handler is declared
once, beside its code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

from order_service import config as order_config
from order_service.entrypoints import event_handlers as order_handlers
from shared.db.idempotency import UnitOfWorkHandler
from shared.settings import Settings
from user_service.bootstrap import settings as user_config
from user_service.entrypoints import event_handlers as user_handlers

HandlerFactory = Callable[[Settings], Mapping[str, UnitOfWorkHandler]]


@dataclass(frozen=True, slots=True)
class Subscriber:
    event_type: str
    name: str
    context: str
    source: str
    database: str
    handlers: HandlerFactory

    def handler(self, settings: Settings) -> UnitOfWorkHandler:
        return self.handlers(settings)[self.event_type]


class UnknownSubscriberError(LookupError):
    pass


def _context(context: str, module: ModuleType, source: str, database: str) -> dict[str, Subscriber]:
    subscriptions: Mapping[str, str] = module.SUBSCRIPTIONS
    return {
        event_type: Subscriber(event_type, name, context, source, database, module.event_handlers)
        for event_type, name in subscriptions.items()
    }


SUBSCRIBERS: Mapping[str, Subscriber] = {
    **_context("orders", order_handlers, order_config.SOURCE, order_config.DEFAULT_DATABASE),
    **_context("users", user_handlers, user_config.SOURCE, user_config.DEFAULT_DATABASE),
}


def subscriber_for(event_type: str) -> Subscriber:
    try:
        return SUBSCRIBERS[event_type]
    except KeyError:
        known = ", ".join(sorted(SUBSCRIBERS))
        raise UnknownSubscriberError(
            f"no subscriber handles {event_type!r}; known event types: {known}"
        ) from None
