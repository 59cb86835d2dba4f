"""Which context handles which event type, under which subscriber name.

Built from the services' own ``SUBSCRIPTIONS`` tables, so a handler is declared
once, beside its code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

from order_service import config as order_config
from order_service.entrypoints import event_handlers as order_handlers
from shared.db.idempotency import UnitOfWorkBatchHandler, UnitOfWorkHandler
from shared.settings import Settings
from user_service.bootstrap import settings as user_config
from user_service.entrypoints import event_handlers as user_handlers

HandlerFactory = Callable[[Settings], Mapping[str, UnitOfWorkHandler]]
BatchHandlerFactory = Callable[[Settings], Mapping[str, UnitOfWorkBatchHandler]]


@dataclass(frozen=True, slots=True)
class Subscriber:
    event_type: str
    name: str
    context: str
    source: str
    database: str
    handlers: HandlerFactory
    batch_handlers: BatchHandlerFactory | None = None

    def handler(self, settings: Settings) -> UnitOfWorkHandler:
        return self.handlers(settings)[self.event_type]

    def batch_handler(self, settings: Settings) -> UnitOfWorkBatchHandler | None:
        """The context's form of the handler for a run of events, where it has one."""
        if self.batch_handlers is None:
            return None
        return self.batch_handlers(settings).get(self.event_type)


class UnknownSubscriberError(LookupError):
    pass


def _context(context: str, module: ModuleType, source: str, database: str) -> dict[str, Subscriber]:
    subscriptions: Mapping[str, str] = module.SUBSCRIPTIONS
    batch_handlers: BatchHandlerFactory | None = getattr(module, "event_batch_handlers", None)
    return {
        event_type: Subscriber(
            event_type, name, context, source, database, module.event_handlers, batch_handlers
        )
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
