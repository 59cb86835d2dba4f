"""The relay's SQL: claim buckets with pending rows, read their due rows, mark rows
published, purge old ones. Every statement a relay pass sends is here; when to pass
is the lanes' business (``shared.outbox.lanes``)."""

from __future__ import annotations

import random
from typing import Any

import aiomysql

from shared.db.purge import CHUNK, delete_in_chunks
from shared.db.statements import placeholders
from shared.db.unit_of_work import UnitOfWork
from shared.outbox.writer import BUCKETS


class OutboxStore:
    def __init__(self, pool: aiomysql.Pool, buckets_per_pass: int) -> None:
        self._pool = pool
        self._buckets_per_pass = buckets_per_pass
        self.saturated = False
        """The last claim found at least as many buckets as it takes."""

    def transaction(self) -> UnitOfWork:
        """A pass's transaction: READ COMMITTED, so that each statement sees the rows
        committed before it and locks only what it returns."""
        return UnitOfWork(self._pool, isolation="READ COMMITTED")

    async def claim_buckets(self, uow: UnitOfWork) -> list[int]:
        """Lock up to ``buckets_per_pass`` buckets that have pending rows and that no
        other lane or relay holds.

        Only buckets with pending rows: a lane that locked empty ones published nothing
        and slept a whole idle poll while other buckets waited, which cost a single
        relay about a third of its throughput. When the last pass found more pending
        buckets than it could take, the scan starts at a random bucket so that no
        bucket waits behind busier ones; otherwise one scan from the first bucket
        finds them all (a wrapped scan is two statements). InnoDB locks only the rows
        it returns and skips those held elsewhere.
        """
        wanted = self._buckets_per_pass
        start = random.randrange(BUCKETS) if self.saturated else 0
        locked: list[int] = []
        for low, high in ((start, BUCKETS), (0, start)):
            if len(locked) < wanted and low < high:
                rows = await uow.fetchall(
                    "SELECT bucket FROM outbox_buckets b WHERE bucket >= %s AND bucket < %s"
                    " AND (SELECT 1 FROM outbox o WHERE o.published_at IS NULL"
                    " AND o.bucket = b.bucket LIMIT 1) IS NOT NULL"
                    " ORDER BY bucket LIMIT %s FOR UPDATE SKIP LOCKED",
                    (low, high, wanted - len(locked)),
                )
                locked.extend(int(bucket) for (bucket,) in rows)
        self.saturated = len(locked) == wanted
        return locked

    async def any_pending(self, uow: UnitOfWork) -> bool:
        row = await uow.fetchone("SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1")
        return row is not None

    async def due_rows(
        self, uow: UnitOfWork, buckets: list[int], share: int
    ) -> list[tuple[Any, ...]]:
        """Each bucket's oldest pending rows (up to ``share``), in id order within the
        bucket: ``(id, bucket, event_id, event_type, aggregate_id, payload, traceparent,
        tracestate)``.

        One indexed range per bucket (no sort over every pending row); order across
        buckets does not matter, as an aggregate never changes bucket.
        """
        per_bucket = (
            "(SELECT id, bucket, event_id, event_type, aggregate_id, payload, traceparent,"
            " tracestate"
            " FROM outbox"
            " WHERE published_at IS NULL AND bucket = %s ORDER BY id LIMIT %s)"
        )
        return await uow.fetchall(
            " UNION ALL ".join([per_bucket] * len(buckets)),
            [value for bucket in buckets for value in (bucket, share)],
        )

    async def mark_published(self, uow: UnitOfWork, ids: list[Any]) -> None:
        await uow.execute(
            "UPDATE outbox SET published_at = CURRENT_TIMESTAMP(6)"
            f" WHERE id IN ({placeholders(len(ids))})",
            ids,
        )

    async def purge(self, retention_s: float) -> int:
        return await purge_published(self._pool, retention_s)


async def purge_published(pool: aiomysql.Pool, retention_s: float, chunk: int = CHUNK) -> int:
    """Delete rows published longer ago than the retention, in chunks; return how many."""
    return await delete_in_chunks(
        pool,
        "DELETE FROM outbox WHERE published_at IS NOT NULL"
        " AND published_at < CURRENT_TIMESTAMP(6) - INTERVAL %s MICROSECOND LIMIT %s",
        retention_s,
        chunk,
    )
