"""The gauges that tell an operator work is waiting without progress: the outbox's
oldest age and the relay's idle seconds (MariaDB, RabbitMQ), and a subscriber's idle
seconds (both brokers)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aiomysql
import pytest
from prometheus_client import REGISTRY

from shared.db import UnitOfWork
from shared.envelope import Envelope
from shared.events import Event
from shared.messaging import RoutingPublisher, create_consumer
from shared.messaging.protocols import OutgoingMessage
from shared.outbox import OutboxRelay
from shared.process_runtime import ProcessRuntime
from shared.settings import BrokerKind, OutboxSettings
from tests.contract.events import EVENT_TYPE, order_confirmed
from tests.contract.settings import contract_settings
from tests.contract.test_outbox_relay import write_to_outbox
from tests.support.brokers import HARNESSES
from tests.support.brokers.protocol import BrokerHarness
from tests.support.consumers import running
from tests.support.polling import eventually


@pytest.fixture
async def rabbitmq() -> AsyncIterator[BrokerHarness]:
    harness = HARNESSES[BrokerKind.RABBITMQ](contract_settings(BrokerKind.RABBITMQ, ""))
    try:
        yield harness
    finally:
        await harness.cleanup()


def gauge(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} not exported"
    return value


async def database_of(pool: aiomysql.Pool) -> str:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT DATABASE()")
    assert row is not None
    return str(row[0])


async def test_outbox_age_and_relay_idle_grow_while_rows_wait_and_drop_to_zero_once_sent(
    rabbitmq: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    database = await database_of(mysql_pool)
    publisher = RoutingPublisher(rabbitmq.settings)
    relay = OutboxRelay(mysql_pool, publisher, OutboxSettings())
    runtime = ProcessRuntime(mysql_pool, publisher, relay)  # relay not started
    try:
        await runtime.measure_outbox()
        assert gauge("eda_outbox_oldest_age_seconds", database=database) == 0
        assert gauge("eda_outbox_relay_idle_seconds", database=database) == 0

        await write_to_outbox(mysql_pool, [order_confirmed() for _ in range(3)])
        await runtime.measure_outbox()
        assert gauge("eda_outbox_backlog", database=database) == 3
        first_age = gauge("eda_outbox_oldest_age_seconds", database=database)
        first_idle = gauge("eda_outbox_relay_idle_seconds", database=database)
        assert first_idle > 0

        async def both_grew() -> bool:
            await runtime.measure_outbox()
            age = gauge("eda_outbox_oldest_age_seconds", database=database)
            idle = gauge("eda_outbox_relay_idle_seconds", database=database)
            return age > first_age + 0.2 and idle > first_idle + 0.2

        await eventually(both_grew, timeout=10, interval=0.1, what="age and idle growing")

        assert await relay.relay_once() == 3
        await runtime.measure_outbox()
        assert gauge("eda_outbox_backlog", database=database) == 0
        assert gauge("eda_outbox_oldest_age_seconds", database=database) == 0
        assert gauge("eda_outbox_relay_idle_seconds", database=database) == 0
    finally:
        await publisher.close()


async def test_a_subscriber_with_waiting_messages_and_a_stuck_handler_reports_idle(
    broker: BrokerHarness,
) -> None:
    subscription = broker.subscription(EVENT_TYPE)
    await broker.provision(subscription)
    unblocked = asyncio.Event()
    handled: list[str] = []

    async def stuck_until_released(event: Event, envelope: Envelope) -> None:
        await unblocked.wait()
        handled.append(envelope.id)

    def idle() -> float:
        labels = {"subscriber": subscription.subscriber}
        return REGISTRY.get_sample_value("eda_subscriber_idle_seconds", labels) or 0.0

    def backlog() -> float:
        labels = {"subscriber": subscription.subscriber}
        return REGISTRY.get_sample_value("eda_subscriber_backlog", labels) or 0.0

    publisher = RoutingPublisher(broker.settings)
    consumer = create_consumer(broker.settings, subscription, stuck_until_released)
    try:
        async with running(consumer):
            sent = [order_confirmed(uuid.uuid4()) for _ in range(5)]
            await publisher.publish_encoded([OutgoingMessage.of(envelope) for envelope in sent])
            # The backlog is read every few seconds: the deadline allows several readings.
            await eventually(lambda: idle() > 0, timeout=30, interval=0.1, what="idle above 0")
            # Every message waits, the ones the stuck handler holds too.
            await eventually(
                lambda: backlog() == len(sent), timeout=30, interval=0.1, what="backlog 5"
            )
            unblocked.set()
            await eventually(lambda: len(handled) == len(sent), what="every message handled")
            await eventually(lambda: idle() == 0, timeout=30, interval=0.1, what="idle back to 0")
            await eventually(lambda: backlog() == 0, timeout=30, interval=0.1, what="backlog 0")
    finally:
        unblocked.set()
        await publisher.close()


async def test_a_fresh_kafka_consumer_counts_fetched_but_unhandled_events_as_lag(
    kafka_bootstrap: str,
) -> None:
    """A subscriber restarted while its handler cannot finish: the lag is what the group
    has not committed, not what this process has not fetched yet, and it grows with
    what is published meanwhile."""
    harness = HARNESSES[BrokerKind.KAFKA](contract_settings(BrokerKind.KAFKA, kafka_bootstrap))
    subscription = harness.subscription(EVENT_TYPE)
    await harness.provision(subscription)
    unblocked = asyncio.Event()

    async def stuck_until_released(event: Event, envelope: Envelope) -> None:
        await unblocked.wait()

    def lag() -> float:
        labels = {"subscriber": subscription.subscriber}
        return sum(
            sample.value
            for metric in REGISTRY.collect()
            if metric.name == "eda_kafka_consumer_lag"
            for sample in metric.samples
            if sample.labels.get("subscriber") == labels["subscriber"]
        )

    # One run at a time: the stuck one takes the only slot, and nothing is fetched.
    settings = harness.settings.model_copy(
        update={"kafka": harness.settings.kafka.model_copy(update={"runs_in_flight": 1})}
    )
    publisher = RoutingPublisher(settings)
    consumer = create_consumer(settings, subscription, stuck_until_released)
    try:
        sent = [order_confirmed(uuid.uuid4()) for _ in range(5)]
        await publisher.publish_encoded([OutgoingMessage.of(envelope) for envelope in sent])
        async with running(consumer):
            await eventually(lambda: lag() == len(sent), timeout=30, interval=0.1, what="lag 5")
            # Events published while it is stuck add to its lag, though it fetches none.
            await publisher.publish_encoded([OutgoingMessage.of(envelope) for envelope in sent])
            await eventually(lambda: lag() > 5, timeout=30, interval=0.1, what="lag above 5")
            unblocked.set()
            await eventually(lambda: lag() == 0, timeout=30, interval=0.1, what="lag back to 0")
    finally:
        unblocked.set()
        await publisher.close()
        await harness.cleanup()
