"""A subscriber's handler that cannot get a pooled connection in time is retried by the
processor, not dead-lettered: ConnectionAcquireTimeout is a transient failure."""

from __future__ import annotations

import aiomysql
import pytest

from shared.db import ConnectionAcquireTimeout, create_pool, migrate, platform_migrations
from shared.db.inbox import handled_once
from shared.envelope import Envelope, encode
from shared.events import Event
from shared.messaging import IncomingMessage, Subscription
from shared.messaging.processor import MessageProcessor
from shared.settings import RetrySettings
from tests.contract.events import create_tables, effect_counts, order_confirmed, record_effect
from tests.support.mysql import mysql_settings_for_tests, throwaway_database

# A subscriber's pool on a throwaway database.
pytestmark = [pytest.mark.mysql]

SUBSCRIBER = "users.order-confirmed"


class DeadLetters:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        self.reasons.append(reason)


async def test_an_acquire_timeout_is_retried_and_not_dead_lettered() -> None:
    server = mysql_settings_for_tests()
    async with throwaway_database(server) as database:
        settings = server.model_copy(
            update={
                "database": database,
                "pool_min_size": 1,
                "pool_max_size": 1,
                "acquire_timeout_s": 0.2,
            }
        )
        await migrate(settings, database, platform_migrations())
        pool: aiomysql.Pool = await create_pool(settings)
        try:
            await create_tables(pool)
            held = await pool.acquire()
            failures: list[BaseException] = []
            handle = handled_once(pool, SUBSCRIBER, record_effect)

            async def handler(event: Event, envelope: Envelope) -> None:
                nonlocal held
                try:
                    await handle(event, envelope)
                except ConnectionAcquireTimeout as exc:
                    failures.append(exc)
                    pool.release(held)  # the next attempt finds the connection free
                    raise

            dead = DeadLetters()
            processor = MessageProcessor(
                Subscription(SUBSCRIBER, "order.confirmed"),
                handler,
                dead,
                RetrySettings(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.05),
            )
            envelope = order_confirmed()
            done = await processor.process_many(
                [IncomingMessage(body=encode(envelope), key=b"k", origin="t/0@1")]
            )
            assert done == 1
            assert dead.reasons == []
            assert len(failures) == 1
            assert await effect_counts(pool) == {str(envelope.id): 1}
        finally:
            pool.close()
            await pool.wait_closed()
