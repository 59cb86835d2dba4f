"""One face over both brokers for the contract suite: settings with unique names,
raw publishing (to inject poison), reading what landed on a topic or queue, and
cleanup of everything a test declared."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import FieldValue
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.messaging.kafka.naming import dead_letter_topic_for, topic_for
from shared.messaging.kafka.topics import TopicProvisioner
from shared.messaging.rabbitmq.topology import (
    dead_letter_exchange_name,
    dead_letter_queue_name,
    declare_subscriber_queue,
    unrouted_name,
)
from shared.messaging.types import Consumer, Subscription
from shared.settings import BrokerKind, Settings, load_settings
from tests.support.polling import eventually


@dataclass(frozen=True)
class RawMessage:
    body: bytes
    key: bytes | None
    headers: dict[str, str]
    content_type: str | None
    message_id: str | None = None


@dataclass
class BrokerHarness:
    kind: BrokerKind
    settings: Settings
    subscribers: list[str] = field(default_factory=list)

    def with_batch_size(self, size: int) -> BrokerHarness:
        """The same broker fetching at most ``size`` messages at a time."""
        settings = self.settings.model_copy(
            update={
                "kafka": self.settings.kafka.model_copy(update={"max_poll_records": size}),
                "rabbitmq": self.settings.rabbitmq.model_copy(update={"prefetch": size}),
            }
        )
        return BrokerHarness(self.kind, settings, self.subscribers)

    def through(self, address: str) -> BrokerHarness:
        """The same broker reached at another address (a fault proxy in front of it)."""
        if self.kind is BrokerKind.KAFKA:
            kafka = self.settings.kafka.model_copy(
                update={"bootstrap_servers": address, "request_timeout_ms": 5000}
            )
            settings = self.settings.model_copy(update={"kafka": kafka})
        else:
            url = f"amqp://guest:guest@{address}/"
            rabbitmq = self.settings.rabbitmq.model_copy(update={"url": url})
            settings = self.settings.model_copy(update={"rabbitmq": rabbitmq})
        return BrokerHarness(self.kind, settings, self.subscribers)

    def subscription(self, event_type: str) -> Subscription:
        name = f"contract-{uuid.uuid4().hex[:10]}"
        self.subscribers.append(name)
        return Subscription(subscriber=name, event_type=event_type)

    async def provision(self, subscription: Subscription) -> None:
        """Create the subscription's topic or queue ahead of its consumer, as a deployment does."""
        if self.kind is BrokerKind.KAFKA:
            await TopicProvisioner(self.settings.kafka).ensure(
                {topic_for(self.settings.kafka, subscription.event_type)}
            )
            return
        connection = await aio_pika.connect(self.settings.rabbitmq.url)
        async with connection:
            channel = await connection.channel()
            await declare_subscriber_queue(channel, self.settings.rabbitmq, subscription)

    async def publish_raw(
        self,
        event_type: str,
        body: bytes,
        key: bytes | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        message_id: str | None = None,
    ) -> None:
        """``message_id`` is RabbitMQ's property; Kafka has no such thing."""
        if self.kind is BrokerKind.KAFKA:
            record_headers = [(name, value.encode()) for name, value in (headers or {}).items()]
            if content_type is not None:
                record_headers.append(("content-type", content_type.encode()))
            producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka.bootstrap_servers)
            await producer.start()
            try:
                await producer.send_and_wait(
                    topic_for(self.settings.kafka, event_type), body, key, headers=record_headers
                )
            finally:
                await producer.stop()
            return
        connection = await aio_pika.connect(self.settings.rabbitmq.url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(self.settings.rabbitmq.exchange)
            properties: dict[str, FieldValue] = dict(headers or {})
            if key:
                properties["subject"] = key.decode()
            message = aio_pika.Message(
                body,
                headers=properties or None,
                content_type=content_type,
                message_id=message_id,
            )
            await exchange.publish(message, routing_key=event_type)

    async def read_dead_letters(self, subscriber: str, count: int) -> list[RawMessage]:
        if self.kind is BrokerKind.KAFKA:
            topic = dead_letter_topic_for(self.settings.kafka, subscriber)
            return await self._read_kafka(topic, count)
        return await self._read_queue(dead_letter_queue_name(subscriber), count)

    @contextlib.asynccontextmanager
    async def tap(self, event_type: str) -> AsyncIterator[Tap]:
        """Observe what is published for an event type from now on, as raw bytes."""
        if self.kind is BrokerKind.KAFKA:
            yield Tap(lambda n: self._read_kafka(topic_for(self.settings.kafka, event_type), n))
            return
        connection = await aio_pika.connect(self.settings.rabbitmq.url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(exclusive=True)
            await queue.bind(self.settings.rabbitmq.exchange, routing_key=event_type)
            yield Tap(lambda n: _drain(queue, n))

    async def _read_kafka(self, topic: str, count: int) -> list[RawMessage]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka.bootstrap_servers,
            enable_auto_commit=False,
            fetch_max_wait_ms=10,
        )
        await consumer.start()
        try:
            await eventually(
                lambda: bool(consumer.partitions_for_topic(topic)) or _refresh(consumer, topic),
                what=f"topic {topic} exists",
            )
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            found: list[RawMessage] = []

            async def enough() -> bool:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    found.extend(_from_record(record) for record in records)
                return len(found) >= count

            await eventually(enough, what=f"{count} messages on {topic}")
            return found
        finally:
            await consumer.stop()

    async def _read_queue(self, name: str, count: int) -> list[RawMessage]:
        connection = await aio_pika.connect(self.settings.rabbitmq.url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(name)
            return await _drain(queue, count)

    async def cleanup(self) -> None:
        if self.kind is not BrokerKind.RABBITMQ:
            return  # Tansu keeps topics in memory; unique prefixes keep tests apart
        connection = await aio_pika.connect(self.settings.rabbitmq.url)
        async with connection:
            channel = await connection.channel()
            exchange = self.settings.rabbitmq.exchange
            for name in self.subscribers:
                await channel.queue_delete(name)
                await channel.queue_delete(dead_letter_queue_name(name))
                await channel.exchange_delete(dead_letter_exchange_name(name))
            await channel.queue_delete(unrouted_name(self.settings.rabbitmq))
            await channel.exchange_delete(exchange)
            await channel.exchange_delete(unrouted_name(self.settings.rabbitmq))


@dataclass(frozen=True)
class Tap:
    take: Callable[[int], Awaitable[list[RawMessage]]]


def harness_settings(kind: BrokerKind, kafka_bootstrap: str) -> Settings:
    unique = uuid.uuid4().hex[:10]
    return load_settings(
        source="urn:eda:contract-tests",
        default_broker=kind,
        kafka={
            "bootstrap_servers": kafka_bootstrap,
            "topic_prefix": f"c{unique}.",
            "partitions": 4,
            "idempotent_producer": False,
            "fetch_max_wait_ms": 10,
            "session_timeout_ms": 6000,
        },
        rabbitmq={"exchange": f"events-{unique}", "prefetch": 50},
        retry={"max_attempts": 4, "initial_backoff_s": 0.01, "max_backoff_s": 0.05},
    )


@contextlib.asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[asyncio.Task[None]]:
    """Run a consumer in the background until the block ends, then stop it gracefully."""
    task = asyncio.create_task(consumer.run())
    await eventually(lambda: consumer.ready or task.done(), what="consumer ready")
    if task.done():
        task.result()
    try:
        yield task
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=30)


async def _refresh(consumer: AIOKafkaConsumer, topic: str) -> bool:
    await consumer.topics()
    return bool(consumer.partitions_for_topic(topic))


async def _drain(queue: aio_pika.abc.AbstractQueue, count: int) -> list[RawMessage]:
    found: list[RawMessage] = []

    async def enough() -> bool:
        message = await queue.get(no_ack=True, fail=False)
        if message is not None:
            found.append(_from_delivery(message))
        return len(found) >= count

    await eventually(enough, interval=0.0, what=f"{count} messages on {queue.name}")
    return found


def _from_record(record: object) -> RawMessage:
    headers = {name: value.decode() for name, value in getattr(record, "headers", ())}
    return RawMessage(
        body=getattr(record, "value", b""),
        key=getattr(record, "key", None),
        headers=headers,
        content_type=headers.get("content-type"),
    )


def _from_delivery(message: aio_pika.abc.AbstractIncomingMessage) -> RawMessage:
    headers = {name: str(value) for name, value in (message.headers or {}).items()}
    subject = headers.get("subject")
    return RawMessage(
        body=message.body,
        key=subject.encode() if subject else None,
        headers=headers,
        content_type=message.content_type,
        message_id=message.message_id,
    )
