"""Keys are kept for ``retention_s``, then deleted in chunks, as the outbox's rows are."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiomysql

from shared.db.purge import CHUNK, delete_in_chunks
from shared.settings import IdempotencySettings

log = logging.getLogger(__name__)


async def purge_expired_keys(pool: aiomysql.Pool, retention_s: float, chunk: int = CHUNK) -> int:
    """Delete keys created longer ago than the retention, in chunks; return how many."""
    return await delete_in_chunks(
        pool,
        "DELETE FROM idempotency_keys"
        " WHERE created_at < UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND LIMIT %s",
        retention_s,
        chunk,
    )


async def _purge_every(pool: aiomysql.Pool, settings: IdempotencySettings) -> None:
    while True:
        await asyncio.sleep(settings.purge_interval_s)  # a period, not a wait for a condition
        try:
            purged = await purge_expired_keys(pool, settings.retention_s)
        except Exception as exc:  # the database may be away: try again next period
            log.warning("purging idempotency keys failed: %s", exc)
            continue
        if purged:
            log.info("purged %d idempotency keys", purged)


@contextlib.asynccontextmanager
async def purging_keys(pool: aiomysql.Pool, settings: IdempotencySettings) -> AsyncIterator[None]:
    """Purge expired keys every ``purge_interval_s`` while the block runs."""
    task = asyncio.create_task(_purge_every(pool, settings), name="idempotency-key-purge")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
