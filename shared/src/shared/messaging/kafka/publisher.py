"""Publish envelopes to Kafka with acks=all; the topic is created on first use."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.envelope import STRUCTURED_CONTENT_TYPE as _CONTENT_TYPE
from shared.links.kafka import kafka_client_options, start_kafka_client
from shared.messaging.kafka.partitioner import partition_for
from shared.messaging.kafka.topology import TopicProvisioner
from shared.messaging.names import topic_for
from shared.messaging.protocols import OutgoingMessage
from shared.messaging.publisher import PublisherBase
from shared.settings import KafkaSettings
from shared.telemetry.metrics import count_published
from shared.telemetry.producer_spans import PublishItem, publishing
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE

SYSTEM = "kafka"
CONTENT_TYPE_HEADER = "content-type"
STRUCTURED_CONTENT_TYPE = _CONTENT_TYPE.encode()


def create_producer(settings: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **kafka_client_options(settings),
        acks="all",
        enable_idempotence=settings.idempotent_producer,
        linger_ms=0,
        max_batch_size=settings.max_batch_size,
        partitioner=partition_for,
        request_timeout_ms=settings.request_timeout_ms,
    )


async def start_producer(settings: KafkaSettings) -> AIOKafkaProducer:
    """A started ``create_producer``; stopped again if it does not start."""
    producer = create_producer(settings)
    try:
        await start_kafka_client(producer, settings)
    except BaseException:
        await producer.stop()
        raise
    return producer


class KafkaPublisher(PublisherBase):
    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer = create_producer(settings)
        self._topics = TopicProvisioner(settings)

    async def start(self) -> None:
        await start_kafka_client(self._producer, self._settings)

    async def close(self) -> None:
        await self._producer.stop()

    async def publish_encoded(self, messages: Sequence[OutgoingMessage]) -> None:
        if not messages:
            return
        topics = [topic_for(self._settings, message.event_type) for message in messages]
        await self._topics.ensure(set(topics))

        def items() -> list[PublishItem]:
            return [
                PublishItem(message.event_id, topic, message.traceparent, message.tracestate)
                for topic, message in zip(topics, messages, strict=True)
            ]

        with publishing(SYSTEM, items) as trace_headers:
            # Messages sharing a PRODUCER span share one header list.
            encoded = {th: _headers(th) for th in set(trace_headers)} if trace_headers else {}
            deliveries = [
                await self._producer.send(
                    topic,
                    value=message.body,
                    key=message.key.encode(),
                    headers=encoded[trace_headers[index]] if trace_headers else _PLAIN_HEADERS,
                )
                for index, (topic, message) in enumerate(zip(topics, messages, strict=True))
            ]
            await asyncio.gather(*deliveries)
        count_published([message.event_type for message in messages], SYSTEM)


_PLAIN_HEADERS = [(CONTENT_TYPE_HEADER, STRUCTURED_CONTENT_TYPE)]


def _headers(trace_headers: tuple[str, str | None]) -> list[tuple[str, bytes]]:
    traceparent, tracestate = trace_headers
    headers = [*_PLAIN_HEADERS, (TRACEPARENT, traceparent.encode())]
    if tracestate:
        headers.append((TRACESTATE, tracestate.encode()))
    return headers
