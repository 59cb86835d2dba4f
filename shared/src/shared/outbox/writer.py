"""Append events to the outbox inside the caller's unit of work."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope, encode

# Matches the rows of outbox_buckets created by migration shared:0002.
BUCKETS = 16


def bucket_of(aggregate_id: str) -> int:
    return zlib.crc32(aggregate_id.encode()) % BUCKETS


async def add_to_outbox(uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
    """Store the envelopes; they are published after the unit of work commits."""
    if not envelopes:
        return
    rows = [
        (
            envelope.id,
            envelope.type,
            envelope.subject,
            bucket_of(envelope.subject),
            encode(envelope).decode(),
            envelope.traceparent,
            envelope.tracestate,
        )
        for envelope in envelopes
    ]
    async with uow.connection.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO outbox (event_id, event_type, aggregate_id, bucket, payload,"
            " traceparent, tracestate) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
