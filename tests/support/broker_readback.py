"""Read back what the relays published, and own the RabbitMQ names the outbox figures use."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.messaging import Subscription, queue_name
from shared.messaging.rabbitmq.topology import declare_subscriber_queue
from shared.settings import KafkaSettings, RabbitMQSettings
from tests.support.delivery_audit import Delivered
from tests.support.event_payloads import EVENT_TYPE
from tests.support.rabbitmq import delete_exchanges, delete_subscriber_queue

READ_BATCH = 5_000


async def read_topic(settings: KafkaSettings, topic: str, timeout_s: float) -> list[Delivered]:
    """Every message of the topic, partition by partition, each in offset order."""
    partitions = [TopicPartition(topic, number) for number in range(settings.partitions)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        read: dict[TopicPartition, list[Delivered]] = {partition: [] for partition in partitions}
        deadline = time.monotonic() + timeout_s
        while any(len(read[partition]) < ends[partition] for partition in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"read {sum(map(len, read.values()))} messages of {topic}")
            batch = await consumer.getmany(timeout_ms=200, max_records=READ_BATCH)
            for partition, records in batch.items():
                read[partition].extend(
                    Delivered((record.key or b"").decode(), json.loads(record.value or b"")["id"])
                    for record in records
                )
        return [message for partition in partitions for message in read[partition]]
    finally:
        await consumer.stop()


class RabbitTopology:
    """Subscriber queues declared as ``shared`` declares them; all deleted at the end."""

    def __init__(self, settings: RabbitMQSettings, channel: AbstractChannel) -> None:
        self.settings = settings
        self.channel = channel
        self._subscribers: set[str] = set()

    async def declare_subscriber(self, subscriber: str) -> str:
        """Declare an ``order.placed`` subscriber's queue; return the queue's name."""
        self.adopt(subscriber)
        await declare_subscriber_queue(
            self.channel, self.settings, Subscription(subscriber, EVENT_TYPE)
        )
        return queue_name(self.settings, subscriber)

    def adopt(self, subscriber: str) -> None:
        """Delete this subscriber's queues at the end (a consumer declared them)."""
        self._subscribers.add(subscriber)

    async def message_count(self, queue: str) -> int:
        declared = await self.channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0

    async def purge(self, queue: str) -> None:
        await (await self.channel.get_queue(queue)).purge()

    async def drain(self, queue: str, timeout_s: float) -> list[Delivered]:
        """Take every message the queue holds now, in queue order, without acknowledgements."""
        declared = await self.channel.declare_queue(queue, passive=True)
        expected = declared.declaration_result.message_count or 0
        received: list[Delivered] = []
        complete = asyncio.Event()
        if expected == 0:
            return received

        async def take(message: AbstractIncomingMessage) -> None:
            subject = (message.headers or {}).get("subject")
            received.append(Delivered(str(subject), message.message_id or ""))
            if len(received) >= expected:
                complete.set()

        await self.channel.set_qos(prefetch_count=READ_BATCH)
        tag = await declared.consume(take, no_ack=True)
        try:
            await asyncio.wait_for(complete.wait(), timeout_s)
        finally:
            await declared.cancel(tag)
        return received

    async def delete_subscriber(self, subscriber: str) -> None:
        await delete_subscriber_queue(self.channel, self.settings, subscriber)
        self._subscribers.discard(subscriber)

    async def delete_all(self) -> None:
        for subscriber in sorted(self._subscribers):
            await self.delete_subscriber(subscriber)
        await delete_exchanges(self.channel, self.settings)


@asynccontextmanager
async def rabbitmq_topology(settings: RabbitMQSettings) -> AsyncIterator[RabbitTopology]:
    connection = await aio_pika.connect(settings.url)
    try:
        topology = RabbitTopology(settings, await connection.channel())
        try:
            yield topology
        finally:
            await topology.delete_all()
    finally:
        await connection.close()
