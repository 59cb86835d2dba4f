"""What every process that writes to an outbox runs beside its work (an API's
requests, a subscriber's consumer): the pools, the publisher, the relay task, the
backlog gauge and the readiness checks, started and closed together.
``shared.service.runtime.ServiceRuntime`` extends it with what a service adds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import aiomysql

from shared.db.unit_of_work import UnitOfWork
from shared.messaging.protocols import Publisher
from shared.outbox.relay import OutboxRelay
from shared.telemetry.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_RELAY_IDLE

log = logging.getLogger(__name__)

RELAY_STOP_TIMEOUT_S = 10.0
BACKLOG_INTERVAL_S = 5.0
# The oldest pending row is the one of the lowest id: MIN(id) reads the pending index
# only, where MIN(created_at) would read every pending row. Its age is taken on the
# database's clock, the one that wrote created_at.
_OUTBOX_STATE = (
    "SELECT DATABASE(), p.pending,"
    " COALESCE(TIMESTAMPDIFF(MICROSECOND, o.created_at, CURRENT_TIMESTAMP(6)), 0)"
    " FROM (SELECT COUNT(*) AS pending, MIN(id) AS oldest FROM outbox"
    " WHERE published_at IS NULL) p"
    " LEFT JOIN outbox o ON o.id = p.oldest"
)
POOL_CLOSE_TIMEOUT_S = 10.0


@dataclass
class ProcessRuntime:
    pool: aiomysql.Pool
    publisher: Publisher
    relay: OutboxRelay
    relay_pool: aiomysql.Pool | None = field(default=None, kw_only=True)
    """The relay's own connections, when it has them (closed with the rest)."""
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)
    _backlog_task: asyncio.Task[None] | None = field(default=None, init=False)

    def start_relay(self) -> None:
        if self._relay_task is None:
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
            self._backlog_task = asyncio.create_task(self._measure_backlog(), name="backlog")

    async def _measure_backlog(self) -> None:
        """Keep the outbox gauges current while the relay runs."""
        while True:
            try:
                await self.measure_outbox()
            except Exception as exc:  # the database is away: the relay says so too
                log.debug("reading the outbox backlog failed: %s", exc)
            await asyncio.sleep(BACKLOG_INTERVAL_S)

    async def measure_outbox(self) -> None:
        """Set ``eda_outbox_backlog``, ``eda_outbox_oldest_age_seconds`` and
        ``eda_outbox_relay_idle_seconds`` of this process's database."""
        # The relay's isolation, on its connections: no SET back and forth.
        async with UnitOfWork(self.relay_pool or self.pool, "READ COMMITTED") as uow:
            row = await uow.fetchone(_OUTBOX_STATE)
        if row is None:
            return
        database, pending, age_us = str(row[0]), int(row[1]), int(row[2])
        OUTBOX_BACKLOG.labels(database).set(pending)
        OUTBOX_OLDEST_AGE.labels(database).set(max(0, age_us) / 1_000_000 if pending else 0)
        OUTBOX_RELAY_IDLE.labels(database).set(self.relay.progress.idle_seconds(pending))

    async def database_ready(self) -> bool:
        async with UnitOfWork(self.pool) as uow:
            return await uow.fetchone("SELECT 1") == (1,)

    async def relay_running(self) -> bool:
        """Readiness means the relay task runs, not that the broker answers: requests
        still succeed during a broker outage, their events wait in the outbox."""
        return self.relay.running

    async def close(self) -> None:
        """Stop the relay (it finishes its pass), then close the publisher and the pool."""
        if self._backlog_task is not None:
            self._backlog_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backlog_task
            self._backlog_task = None
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
        for pool in (self.pool, self.relay_pool):
            if pool is None:
                continue
            pool.close()
            try:
                await asyncio.wait_for(pool.wait_closed(), POOL_CLOSE_TIMEOUT_S)
            except TimeoutError:
                log.warning("database connections still in use after %ss", POOL_CLOSE_TIMEOUT_S)
