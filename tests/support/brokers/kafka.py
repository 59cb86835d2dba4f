"""The broker harness for Kafka (Tansu here): raw records in and out with aiokafka."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka as ce_kafka

from eda_local.tansu import free_port, running_tansu
from shared.messaging import Subscription, dead_letter_topic_for, topic_for
from shared.messaging.kafka.topology import TopicProvisioner
from shared.settings import BrokerKind
from tests.support.brokers.base import HarnessBase
from tests.support.brokers.protocol import RawMessage, Tap
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.polling import eventually


@dataclass
class KafkaHarness(HarnessBase):
    kind: ClassVar[BrokerKind] = BrokerKind.KAFKA
    carries_message_ids: ClassVar[bool] = False

    def with_batch_size(self, size: int) -> KafkaHarness:
        return self.with_settings("kafka", max_poll_records=size)

    def through(self, address: str) -> KafkaHarness:
        return self.with_settings("kafka", bootstrap_servers=address, request_timeout_ms=5000)

    @contextlib.asynccontextmanager
    async def behind_fault_proxy(self) -> AsyncIterator[tuple[KafkaHarness, FaultProxy]]:
        """A private Tansu that advertises the proxy's port, so every connection a client
        makes after the bootstrap goes through the proxy too."""
        tansu_port = free_port()
        async with fault_proxy("127.0.0.1", tansu_port) as proxy:
            with running_tansu(port=tansu_port, advertised_port=proxy.port) as address:
                yield self.through(address), proxy

    async def provision(self, subscription: Subscription) -> None:
        await TopicProvisioner(self.settings.kafka).ensure(
            {topic_for(self.settings.kafka, subscription.event_type)}
        )

    async def publish_raw(self, event_type: str, message: RawMessage) -> None:
        headers = [(name, value.encode()) for name, value in message.headers.items()]
        if message.content_type is not None:
            headers.append(("content-type", message.content_type.encode()))
        topic = topic_for(self.settings.kafka, event_type)
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic, message.body, message.key, headers=headers)
        finally:
            await producer.stop()

    async def read_dead_letters(self, subscriber: str, count: int) -> list[RawMessage]:
        topic = dead_letter_topic_for(self.settings.kafka, subscriber)
        async with self._reader(topic) as (reader, partitions):
            await reader.seek_to_beginning(*partitions)
            return await _take(reader, topic, count)

    @contextlib.asynccontextmanager
    async def tap(self, event_type: str) -> AsyncIterator[Tap]:
        topic = topic_for(self.settings.kafka, event_type)
        async with self._reader(topic) as (reader, partitions):
            # Positions taken now, not at the first fetch, so nothing published later is skipped.
            for partition, offset in (await reader.end_offsets(partitions)).items():
                reader.seek(partition, offset)
            yield Tap(lambda count: _take(reader, topic, count))

    @contextlib.asynccontextmanager
    async def raw_session(self, subscriber: str) -> AsyncIterator[KafkaSession]:
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka.bootstrap_servers)
        await producer.start()
        try:
            topic = dead_letter_topic_for(self.settings.kafka, subscriber)
            async with self._reader(topic) as (reader, partitions):
                await reader.seek_to_beginning(*partitions)
                yield KafkaSession(self, producer, reader)
        finally:
            await producer.stop()

    def cloudevent(self, message: RawMessage) -> BaseCloudEvent:
        headers = {name: value.encode() for name, value in message.headers.items()}
        return ce_kafka.from_kafka_event(
            ce_kafka.KafkaMessage(headers=headers, key=message.key, value=message.body)
        )

    async def cleanup(self) -> None:
        """Nothing to delete: Tansu keeps topics in memory and unique prefixes keep tests apart."""

    def _reader(
        self, topic: str
    ) -> contextlib.AbstractAsyncContextManager[tuple[AIOKafkaConsumer, list[TopicPartition]]]:
        return assigned_reader(self.settings.kafka.bootstrap_servers, topic)


@dataclass
class KafkaSession:
    harness: KafkaHarness
    producer: AIOKafkaProducer
    reader: AIOKafkaConsumer

    async def publish(self, event_type: str, bodies: Sequence[bytes], key: bytes) -> None:
        topic = topic_for(self.harness.settings.kafka, event_type)
        sent = [await self.producer.send(topic, body, key) for body in bodies]
        for delivery in sent:
            await delivery

    async def new_dead_letters(self) -> list[RawMessage]:
        batch = await self.reader.getmany(timeout_ms=50)
        return [_from_record(record) for records in batch.values() for record in records]


async def _take(reader: AIOKafkaConsumer, topic: str, count: int) -> list[RawMessage]:
    found: list[RawMessage] = []

    async def enough() -> bool:
        for records in (await reader.getmany(timeout_ms=100)).values():
            found.extend(_from_record(record) for record in records)
        return len(found) >= count

    await eventually(enough, what=f"{count} messages on {topic}")
    return found


def _from_record(record: ConsumerRecord[bytes, bytes]) -> RawMessage:
    headers = {name: value.decode() for name, value in record.headers}
    return RawMessage(
        body=record.value or b"",
        key=record.key,
        headers=headers,
        content_type=headers.get("content-type"),
    )


@contextlib.asynccontextmanager
async def assigned_reader(
    bootstrap_servers: str, topic: str
) -> AsyncIterator[tuple[AIOKafkaConsumer, list[TopicPartition]]]:
    """A group-less consumer assigned every partition of ``topic`` once it exists."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, fetch_max_wait_ms=10
    )
    await reader.start()
    try:

        async def known() -> bool:
            await reader.topics()
            return bool(reader.partitions_for_topic(topic))

        await eventually(known, what=f"topic {topic} exists")
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic)]
        reader.assign(partitions)
        yield reader, partitions
    finally:
        await reader.stop()
