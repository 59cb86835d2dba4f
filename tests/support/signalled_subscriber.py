"""A subscriber process for shutdown tests: consumes one event type, records each
handled event id in MySQL through the idempotent helper, stops on SIGTERM.

Usage: python -m tests.support.signalled_subscriber <subscriber> <event type> <database>
(settings from EDA_* variables)."""

from __future__ import annotations

import asyncio
import logging
import sys

from shared.db.idempotency import idempotent
from shared.db.pool import create_pool
from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope
from shared.events import Event
from shared.messaging.factory import create_consumer
from shared.messaging.lifecycle import run_until_signalled
from shared.messaging.types import Subscription
from shared.settings import load_settings


async def record(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    await uow.execute("INSERT INTO handled (event_id) VALUES (%s)", (envelope.id,))


async def main(subscriber: str, event_type: str, database: str) -> None:
    settings = load_settings()
    pool = await create_pool(settings.mysql, database=database)
    try:
        handler = idempotent(pool, subscriber, record)
        consumer = create_consumer(settings, Subscription(subscriber, event_type), handler)
        await run_until_signalled(consumer)
    finally:
        pool.close()
        await pool.wait_closed()
    print("stopped cleanly", flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(main(*sys.argv[1:4]))
