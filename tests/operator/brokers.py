"""Backlogs made and worked off by hand on real brokers: messages published with no
subscriber running, then read and committed (Kafka) or taken and acknowledged
(RabbitMQ) the way a subscriber would."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import aio_pika
import httpx
from aio_pika.abc import AbstractIncomingMessage
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from scaling_operator.settings import OperatorConfig, OperatorSettings
from shared.links import kafka_client_options
from shared.settings import KafkaSettings, RabbitMQSettings, load_settings
from tests.support.polling import eventually
from tests.support.rabbitmq import open_channel

MANAGEMENT_URL = "http://127.0.0.1:15672"
PLAIN_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


def operator_config(
    kafka_bootstrap: str,
    *,
    interval_s: float = 0.5,
    rabbitmq_url: str = PLAIN_RABBITMQ_URL,
    management_url: str = MANAGEMENT_URL,
    kafka: Mapping[str, Any] | None = None,
    rabbitmq: Mapping[str, Any] | None = None,
    **operator: Any,
) -> OperatorConfig:
    """Settings with names no other test uses: topic prefix, exchange, queue prefix.
    ``kafka`` and ``rabbitmq`` add to the shared groups (TLS, say), ``operator`` to the
    operator's settings (the management API's user and CA)."""
    unique = uuid.uuid4().hex[:10]
    eda = load_settings(
        kafka={
            "bootstrap_servers": kafka_bootstrap,
            "topic_prefix": f"op{unique}.",
            "idempotent_producer": False,
            "request_timeout_ms": 5000,
            **(kafka or {}),
        },
        rabbitmq={
            "url": rabbitmq_url,
            "exchange": f"events-op{unique}",
            "queue_prefix": f"op{unique}.",
            **(rabbitmq or {}),
        },
    )
    settings = OperatorSettings(
        interval_s=interval_s,
        broker_timeout_s=3,
        rabbitmq_management_url=management_url,
        **operator,
    )
    return OperatorConfig(eda, settings)


def plain_rabbitmq(settings: RabbitMQSettings) -> RabbitMQSettings:
    """The same exchange and queue names on the local broker's plaintext port, as guest:
    for a test's own publishing and teardown beside an operator on a secured link."""
    return settings.model_copy(
        update={
            "url": PLAIN_RABBITMQ_URL,
            "ssl_cafile": None,
            "ssl_certfile": None,
            "ssl_keyfile": None,
        }
    )


async def topic_partitions(settings: KafkaSettings, topic: str) -> int:
    admin = AIOKafkaAdminClient(**kafka_client_options(settings))
    await admin.start()
    try:
        (description,) = await admin.describe_topics([topic])
        return len(description["partitions"])
    finally:
        await admin.close()


async def publish_to_topic(settings: KafkaSettings, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(
        **kafka_client_options(settings), enable_idempotence=False, acks="all"
    )
    await producer.start()
    try:
        deliveries = [
            await producer.send(topic, value=b'{"n": %d}' % number, key=str(number).encode())
            for number in range(count)
        ]
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()


async def consume_and_commit(settings: KafkaSettings, topic: str, group: str, count: int) -> None:
    """Read ``count`` messages from the start of every partition and commit for
    ``group`` where reading stopped, as a caught-up subscriber leaves it."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    try:
        numbers = consumer.partitions_for_topic(topic) or set()
        partitions = [TopicPartition(topic, number) for number in sorted(numbers)]
        assert partitions, f"topic {topic} has no partitions"
        consumer.assign(partitions)
        read = 0

        async def all_read() -> bool:
            nonlocal read
            batch = await consumer.getmany(timeout_ms=100, max_records=5_000)
            read += sum(len(records) for records in batch.values())
            return read >= count

        await eventually(all_read, timeout=30, interval=0, what=f"{count} messages read")
        assert read == count
        positions = {partition: await consumer.position(partition) for partition in partitions}
        await consumer.commit(positions)
    finally:
        await consumer.stop()


async def publish_to_exchange(settings: RabbitMQSettings, routing_key: str, count: int) -> None:
    async with open_channel(settings) as channel:
        exchange = await channel.get_exchange(settings.exchange)
        for first in range(0, count, 500):
            await asyncio.gather(
                *(
                    exchange.publish(aio_pika.Message(b'{"n": %d}' % number), routing_key)
                    for number in range(first, min(first + 500, count))
                )
            )


async def declare_classic_queue(settings: RabbitMQSettings, queue: str) -> None:
    async with open_channel(settings) as channel:
        await channel.declare_queue(queue, durable=True)


async def management_counts(queue: str) -> tuple[int, int]:
    """(ready, unacknowledged) as the management API's statistics show them now."""
    async with (
        httpx.AsyncClient(auth=("guest", "guest"), timeout=5) as client,
    ):
        response = await client.get(f"{MANAGEMENT_URL}/api/queues/%2F/{quote(queue, safe='')}")
    response.raise_for_status()
    body = response.json()
    return int(body.get("messages_ready", -1)), int(body.get("messages_unacknowledged", -1))


async def statistics_show(queue: str, ready: int, unacknowledged: int) -> None:
    """Wait until the management API's statistics, refreshed every few seconds, show
    these counts."""

    async def shown() -> bool:
        return await management_counts(queue) == (ready, unacknowledged)

    await eventually(
        shown,
        timeout=20,
        interval=0.5,
        what=f"statistics showing {ready} ready, {unacknowledged} unacknowledged",
    )


@contextlib.asynccontextmanager
async def taken_unacknowledged(
    settings: RabbitMQSettings, queue: str, count: int
) -> AsyncIterator[list[AbstractIncomingMessage]]:
    """Deliveries of ``count`` messages held unacknowledged (work in flight) until the
    block ends; the caller acknowledges them."""
    async with open_channel(settings) as channel:
        await channel.set_qos(prefetch_count=count)
        taken: list[AbstractIncomingMessage] = []

        async def take(message: AbstractIncomingMessage) -> None:
            taken.append(message)

        declared = await channel.get_queue(queue)
        await declared.consume(take, no_ack=False)
        await eventually(lambda: len(taken) >= count, timeout=30, what=f"{count} deliveries")
        yield taken
