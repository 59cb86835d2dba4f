"""Composition root: settings become a pool, a publisher, an outbox relay and the
context the use cases run in. Nothing else builds these."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiomysql

from order_service.config import DEFAULT_DATABASE, SOURCE
from order_service.service_layer.context import UseCaseContext
from shared.db.pool import create_pool
from shared.db.unit_of_work import UnitOfWork
from shared.messaging.factory import RoutingPublisher
from shared.messaging.types import Publisher
from shared.outbox.relay import OutboxRelay
from shared.settings import Settings

log = logging.getLogger(__name__)

RELAY_STOP_TIMEOUT_S = 10.0


def with_service_defaults(settings: Settings, environ: Mapping[str, str] = os.environ) -> Settings:
    """The shared defaults name no service: use ours unless the environment chose."""
    # pydantic-settings reads variable names case-insensitively; so does this check.
    present = {name.upper() for name in environ}
    updates: dict[str, object] = {}
    if "EDA_MYSQL__DATABASE" not in present:
        updates["mysql"] = settings.mysql.model_copy(update={"database": DEFAULT_DATABASE})
    if "EDA_SOURCE" not in present:
        updates["source"] = SOURCE
    return settings.model_copy(update=updates)


@dataclass
class OrderServiceRuntime:
    settings: Settings
    pool: aiomysql.Pool
    publisher: Publisher
    relay: OutboxRelay
    context: UseCaseContext
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)

    def start_relay(self) -> None:
        if self._relay_task is None:
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")

    async def database_ready(self) -> bool:
        async with UnitOfWork(self.pool) as uow:
            return await uow.fetchone("SELECT 1") == (1,)

    async def relay_running(self) -> bool:
        return self.relay.running

    async def close(self) -> None:
        if self._relay_task is not None:
            self.relay.stop()
            try:
                await asyncio.wait_for(self._relay_task, RELAY_STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("outbox relay did not stop within %ss", RELAY_STOP_TIMEOUT_S)
            except Exception:  # its failure is logged; shutting down goes on
                log.exception("outbox relay failed")
            self._relay_task = None
        try:
            await self.publisher.close()
        except Exception:
            log.exception("closing the publisher failed")
        self.pool.close()
        await self.pool.wait_closed()


async def bootstrap(
    settings: Settings, *, publisher: Publisher | None = None
) -> OrderServiceRuntime:
    """Build everything; the relay task starts only when ``start_relay`` is called."""
    publisher = publisher if publisher is not None else RoutingPublisher(settings)
    pool = await create_pool(settings.mysql)
    relay = OutboxRelay(pool, publisher, settings.outbox)
    context = UseCaseContext(pool=pool, source=settings.source, after_commit=relay.wake)
    return OrderServiceRuntime(settings, pool, publisher, relay, context)
