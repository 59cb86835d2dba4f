"""Composition root: settings become a pool, a publisher, an outbox relay and the
context the use cases run in. Nothing else builds these."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from order_service.config import DEFAULT_DATABASE, SOURCE
from order_service.service_layer.context import UseCaseContext
from shared.db.pool import create_pool
from shared.messaging.factory import RoutingPublisher
from shared.messaging.types import Publisher
from shared.outbox.relay import OutboxRelay
from shared.outbox.runtime import OutboxRuntime
from shared.settings import Settings
from shared.settings import with_service_defaults as with_defaults

log = logging.getLogger(__name__)


def with_service_defaults(settings: Settings) -> Settings:
    return with_defaults(settings, source=SOURCE, database=DEFAULT_DATABASE)


@dataclass
class OrderServiceRuntime(OutboxRuntime):
    settings: Settings
    context: UseCaseContext


async def bootstrap(
    settings: Settings, *, publisher: Publisher | None = None
) -> OrderServiceRuntime:
    """Build everything; the relay task starts only when ``start_relay`` is called."""
    publisher = publisher if publisher is not None else RoutingPublisher(settings)
    pool = await create_pool(settings.mysql)
    relay = OutboxRelay(pool, publisher, settings.outbox)
    context = UseCaseContext(pool=pool, source=settings.source, after_commit=relay.wake)
    return OrderServiceRuntime(
        pool=pool, publisher=publisher, relay=relay, settings=settings, context=context
    )
