"""Outbox rows for the relay figures: a migrated throwaway database and realistic events."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import UUID, uuid4

import aiomysql

from shared.db import UnitOfWork, create_pool, migrate, platform_migrations
from shared.envelope import Envelope, wrap
from shared.outbox import add_to_outbox
from shared.settings import MySQLSettings
from tests.support.event_payloads import SOURCE, order_placed
from tests.support.mysql import throwaway_database

FILL_CHUNK = 1_000


@asynccontextmanager
async def outbox_database(
    mysql: MySQLSettings, pool_max_size: int = 4
) -> AsyncIterator[tuple[MySQLSettings, aiomysql.Pool]]:
    """A throwaway database with the platform tables, its settings and a small pool on it."""
    async with throwaway_database(mysql) as name:
        settings = mysql.model_copy(update={"database": name, "pool_max_size": pool_max_size})
        await migrate(settings, name, platform_migrations())
        pool = await create_pool(settings)
        try:
            yield settings, pool
        finally:
            pool.close()
            await pool.wait_closed()


def aggregate_ids(count: int, rng: random.Random) -> list[UUID]:
    return [UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


def outbox_events(count: int, aggregates: int, seed: int) -> list[Envelope]:
    """``order.placed`` envelopes spread round-robin over ``aggregates`` orders."""
    rng = random.Random(seed)
    orders = aggregate_ids(aggregates, rng)
    return [
        wrap(
            order_placed(rng).model_copy(update={"order_id": orders[index % aggregates]}),
            source=SOURCE,
            traceparent=f"00-{uuid4().hex}-{uuid4().hex[:16]}-01",
        )
        for index in range(count)
    ]


async def fill_outbox(pool: aiomysql.Pool, envelopes: Sequence[Envelope]) -> None:
    """Commit the envelopes in id order, ``FILL_CHUNK`` rows per transaction."""
    for start in range(0, len(envelopes), FILL_CHUNK):
        async with UnitOfWork(pool) as uow:
            await add_to_outbox(uow, envelopes[start : start + FILL_CHUNK])
            await uow.commit()


async def has_pending(pool: aiomysql.Pool) -> bool:
    """Whether any row awaits the relay: one index probe, cheap enough to poll often."""
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1")
    return row is not None
