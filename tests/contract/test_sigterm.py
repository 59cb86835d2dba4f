"""SIGTERM to the real ``subscriber`` process while it handles runs of events: it
finishes the runs in flight, commits, exits 0, and no event is lost or applied twice.

The process is the production entry point (``subscriber order.confirmed``) with the
users context's batched handler, on a migrated users database; the events left
unhandled are then read by a consumer of the same subscription."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiomysql
import pytest

from eda_local.tansu import free_port
from shared.db import UnitOfWork
from shared.envelope import Envelope, wrap
from shared.events import Event, Money, OrderConfirmedV1
from shared.messaging import RoutingPublisher, Subscription, create_consumer
from shared.settings import MySQLSettings
from shared.subscribers import subscriber_of
from tests.support.brokers import HARNESSES
from tests.support.brokers.protocol import BrokerHarness
from tests.support.consumers import running
from tests.support.mysql import database_pool
from tests.support.polling import eventually
from tests.support.service_apps import USER_SERVICE, throwaway_service_database

EVENT_TYPE = OrderConfirmedV1.event_type
SUBSCRIBER = subscriber_of("users", EVENT_TYPE).name
USERS = [uuid.UUID(int=index + 1) for index in range(20)]
EVENTS = 2000


@pytest.fixture
async def users_database() -> AsyncIterator[MySQLSettings]:
    async with throwaway_service_database(USER_SERVICE) as mysql:
        async with database_pool(mysql) as pool, UnitOfWork(pool) as uow:
            for index, user_id in enumerate(USERS):
                await uow.execute(
                    "INSERT INTO users (id, email, name, status, created_at)"
                    " VALUES (%s, %s, 'A', 'active', NOW(6))",
                    (str(user_id), f"u{index}@example.com"),
                )
            await uow.commit()
        yield mysql


@pytest.fixture
async def users_pool(users_database: MySQLSettings) -> AsyncIterator[aiomysql.Pool]:
    async with database_pool(users_database) as pool:
        yield pool


def confirmed(index: int) -> Envelope:
    event = OrderConfirmedV1(
        order_id=uuid.uuid4(),
        user_id=USERS[index % len(USERS)],
        total=Money(amount=Decimal("1.00"), currency="EUR"),
        confirmed_at=datetime.now(UTC),
    )
    return wrap(event, source="urn:eda:order-service")


def environment(broker: BrokerHarness, mysql: MySQLSettings) -> dict[str, str]:
    settings = broker.settings
    kept = {name: value for name, value in os.environ.items() if not name.startswith("EDA_")}
    return {
        **kept,
        "EDA_DEFAULT_BROKER": broker.kind.value,
        "EDA_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "EDA_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
        "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
        "EDA_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "EDA_KAFKA__MAX_POLL_RECORDS": "50",
        "EDA_RABBITMQ__EXCHANGE": settings.rabbitmq.exchange,
        "EDA_RABBITMQ__QUEUE_PREFIX": settings.rabbitmq.queue_prefix,
        "EDA_RABBITMQ__PREFETCH": "50",
        **{
            f"EDA_MYSQL__{key.upper()}": str(getattr(mysql, key))
            for key in ("host", "port", "user", "password", "database")
        },
    }


async def claimed(pool: aiomysql.Pool) -> set[str]:
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall(
            "SELECT event_id FROM processed_events WHERE subscriber = %s", (SUBSCRIBER,)
        )
    return {str(event_id) for (event_id,) in rows}


async def orders_counted(pool: aiomysql.Pool) -> int:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT COALESCE(SUM(orders_count), 0) FROM users")
    assert row is not None
    return int(row[0])


async def test_sigterm_during_a_run_finishes_it_exits_0_and_loses_nothing(
    broker: BrokerHarness, users_database: MySQLSettings, users_pool: aiomysql.Pool, tmp_path: Path
) -> None:
    # The production subscriber's name, under a prefix of its own on RabbitMQ (on Kafka
    # the harness's topic prefix already names its group), as on a shared broker.
    rabbitmq = broker.settings.rabbitmq.model_copy(
        update={"queue_prefix": f"t{uuid.uuid4().hex[:8]}."}
    )
    prefixed = broker.settings.model_copy(update={"rabbitmq": rabbitmq})
    broker = HARNESSES[broker.kind](prefixed, [SUBSCRIBER])
    try:
        await _stop_during_a_run(broker, users_database, users_pool, tmp_path)
    finally:
        await broker.cleanup()


async def _stop_during_a_run(
    broker: BrokerHarness, users_database: MySQLSettings, users_pool: aiomysql.Pool, tmp_path: Path
) -> None:
    prefixed = broker.settings
    subscription = Subscription(SUBSCRIBER, EVENT_TYPE)
    await broker.provision(subscription)
    publisher = RoutingPublisher(prefixed)
    sent = [confirmed(index) for index in range(EVENTS)]

    log_path = tmp_path / "subscriber.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "subscriber"),
            EVENT_TYPE,
            "--port",
            str(free_port()),
            env=environment(broker, users_database),
            stdout=log,
            stderr=log,
        )
        try:
            await publisher.publish_many(sent)

            async def some_handled() -> bool:
                return len(await claimed(users_pool)) >= 100

            await eventually(some_handled, timeout=60, what="100 events handled")
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(process.wait(), timeout=60)
        finally:
            if process.returncode is None:  # the test failed before SIGTERM: leave no orphan
                process.kill()
                await process.wait()
    output = log_path.read_text()
    assert returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]

    handled = await claimed(users_pool)
    assert len(handled) < EVENTS, "stopped too late to show anything"
    # Every claimed event was counted once, in the transaction of its claim.
    assert await orders_counted(users_pool) == len(handled)

    redelivered: list[str] = []

    async def note(event: Event, envelope: Envelope) -> None:
        redelivered.append(envelope.id)

    async with running(create_consumer(prefixed, subscription, note)):

        async def the_rest_arrived() -> bool:
            return len(set(redelivered)) >= EVENTS - len(handled)

        await eventually(the_rest_arrived, timeout=60, what="the unhandled events delivered")
    await publisher.close()

    assert handled.isdisjoint(redelivered), "work finished before SIGTERM was delivered again"
    assert handled | set(redelivered) == {envelope.id for envelope in sent}
