"""Effectively-once consumption: the handler's writes and a ``processed_events`` row
(subscriber, event id) commit in one transaction; a redelivered event finds its row
and is skipped. The table comes from the platform migration ``shared:0001``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiomysql

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope
from shared.events.base import Event
from shared.messaging.types import Handler

UnitOfWorkHandler = Callable[[Event, Envelope, UnitOfWork], Awaitable[None]]


async def claim(uow: UnitOfWork, subscriber: str, event_id: str) -> bool:
    """Record the event as processed in the open transaction; False if it already was.

    A concurrent duplicate blocks on the primary key until the first commits or
    rolls back, so two deliveries never both claim the same event.
    """
    # A no-op update instead of INSERT IGNORE: same locking, no warning, and other
    # errors (a too-long id) still raise. Affected rows: 1 inserted, 0 already there.
    inserted = await uow.execute(
        "INSERT INTO processed_events (subscriber, event_id) VALUES (%s, %s)"
        " ON DUPLICATE KEY UPDATE event_id = event_id",
        (subscriber, event_id),
    )
    return inserted == 1


def idempotent(pool: aiomysql.Pool, subscriber: str, handler: UnitOfWorkHandler) -> Handler:
    """Wrap a handler so it runs in one unit of work at most once per event id."""

    async def handle(event: Event, envelope: Envelope) -> None:
        # READ COMMITTED: no gap locks, so handlers of different aggregates that insert
        # next to each other (first order of two users) cannot deadlock.
        async with UnitOfWork(pool, isolation="READ COMMITTED") as uow:
            if not await claim(uow, subscriber, envelope.id):
                return
            await handler(event, envelope, uow)
            await uow.commit()

    return handle
