"""The live objects one process shares: pool, publisher, relay and the use cases' context."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiomysql

from shared.db.pool import create_pool
from shared.db.unit_of_work import UnitOfWork
from shared.messaging.factory import RoutingPublisher
from shared.outbox.relay import OutboxRelay
from user_service.bootstrap.settings import UserServiceSettings
from user_service.service_layer.context import ServiceContext

log = logging.getLogger(__name__)

RELAY_STOP_TIMEOUT_S = 10.0


@dataclass
class Runtime:
    settings: UserServiceSettings
    pool: aiomysql.Pool
    publisher: RoutingPublisher
    relay: OutboxRelay
    services: ServiceContext
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)

    def start_relay(self) -> None:
        if self._relay_task is None:
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")

    async def database_ready(self) -> bool:
        async with UnitOfWork(self.pool) as uow:
            return await uow.fetchone("SELECT 1") == (1,)

    async def relay_ready(self) -> bool:
        return self.relay.running

    async def close(self) -> None:
        """Stop the relay (it finishes its pass), then close the publisher and the pool."""
        if self._relay_task is not None:
            self.relay.stop()
            try:
                await asyncio.wait_for(self._relay_task, RELAY_STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("outbox relay did not stop within %ss", RELAY_STOP_TIMEOUT_S)
            except Exception:
                log.exception("outbox relay failed")
            self._relay_task = None
        try:
            await self.publisher.close()
        except Exception:  # closing must reach the pool whatever happens
            log.exception("closing the publisher failed")
        self.pool.close()
        await self.pool.wait_closed()


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
    return Runtime(settings, pool, publisher, relay, services)
