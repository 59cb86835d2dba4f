"""The live objects one process shares: pool, publisher, relay and the use cases' context."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared.db.pool import create_pool
from shared.db.unit_of_work import UnitOfWork
from shared.messaging.factory import RoutingPublisher
from shared.outbox.relay import OutboxRelay
from shared.outbox.runtime import OutboxRuntime
from user_service.bootstrap.settings import UserServiceSettings
from user_service.service_layer.context import ServiceContext

log = logging.getLogger(__name__)


@dataclass
class Runtime(OutboxRuntime):
    settings: UserServiceSettings
    services: ServiceContext


async def start_runtime(settings: UserServiceSettings) -> Runtime:
    """Build everything; nothing connects to a broker until the relay has rows to publish."""
    pool = await create_pool(settings.platform.mysql)
    publisher = RoutingPublisher(settings.platform)
    relay = OutboxRelay(pool, publisher, settings.platform.outbox)
    services = ServiceContext(
        unit_of_work=lambda: UnitOfWork(pool),
        source=settings.platform.source,
        wake_relay=relay.wake,
    )
    return Runtime(
        pool=pool, publisher=publisher, relay=relay, settings=settings, services=services
    )
