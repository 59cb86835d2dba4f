"""Reading a service's outbox back: every row, decoded, checked against its columns."""

from __future__ import annotations

import aiomysql

from shared.db import UnitOfWork
from shared.envelope import Envelope, decode


async def outbox_envelopes(pool: aiomysql.Pool) -> list[Envelope]:
    """Every outbox row in write order, decoded, checked against its own columns."""
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall(
            "SELECT event_id, event_type, aggregate_id, payload FROM outbox ORDER BY id"
        )
    envelopes = []
    for event_id, event_type, aggregate_id, payload in rows:
        envelope = decode(payload.encode())
        assert (envelope.id, envelope.type, envelope.subject) == (
            event_id,
            event_type,
            aggregate_id,
        )
        envelopes.append(envelope)
    return envelopes


async def unpublished(pool: aiomysql.Pool) -> int:
    """How many outbox rows the relay has not published yet."""
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
    assert row is not None
    return int(row[0])
