"""What a service with an outbox runs beside its requests: the pool, the publisher
and the relay task, started and closed together."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiomysql

from shared.db.unit_of_work import UnitOfWork
from shared.messaging.types import Publisher
from shared.outbox.relay import OutboxRelay

log = logging.getLogger(__name__)

RELAY_STOP_TIMEOUT_S = 10.0


@dataclass
class OutboxRuntime:
    pool: aiomysql.Pool
    publisher: Publisher
    relay: OutboxRelay
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)

    def start_relay(self) -> None:
        if self._relay_task is None:
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")

    async def database_ready(self) -> bool:
        async with UnitOfWork(self.pool) as uow:
            return await uow.fetchone("SELECT 1") == (1,)

    async def relay_running(self) -> bool:
        """Readiness means the relay task runs, not that the broker answers: requests
        still succeed during a broker outage, their events wait in the outbox."""
        return self.relay.running

    async def close(self) -> None:
        """Stop the relay (it finishes its pass), then close the publisher and the pool."""
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
        except Exception:  # closing must reach the pool whatever happens
            log.exception("closing the publisher failed")
        self.pool.close()
        await self.pool.wait_closed()
