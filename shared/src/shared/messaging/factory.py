"""Composition: build the publisher and consumers the routing table asks for."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.messaging.kafka import KafkaConsumer, KafkaPublisher
from shared.messaging.protocols import (
    BatchHandler,
    Consumer,
    Handler,
    OutgoingMessage,
    Publisher,
    Subscription,
)
from shared.messaging.publisher import PublisherBase
from shared.messaging.rabbitmq import RabbitMQConsumer, RabbitMQPublisher
from shared.messaging.routing import broker_for, check_routes
from shared.settings import BrokerKind, Settings


class RoutingPublisher(PublisherBase):
    """Sends each envelope to the broker its type is routed to; brokers started on first use."""

    def __init__(self, settings: Settings) -> None:
        check_routes(settings)
        self._settings = settings
        self._started: dict[BrokerKind, Publisher] = {}
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Brokers connect lazily: a component publishing only to Kafka never dials RabbitMQ."""

    async def close(self) -> None:
        for publisher in self._started.values():
            await publisher.close()
        self._started.clear()

    async def publish_encoded(self, messages: Sequence[OutgoingMessage]) -> None:
        by_broker: dict[BrokerKind, list[OutgoingMessage]] = {}
        for message in messages:
            by_broker.setdefault(broker_for(self._settings, message.event_type), []).append(message)
        # Brokers in parallel: per-aggregate order only matters within one event type.
        await asyncio.gather(*(self._send(broker, group) for broker, group in by_broker.items()))

    async def _send(self, broker: BrokerKind, messages: list[OutgoingMessage]) -> None:
        publisher = await self._publisher(broker)
        await publisher.publish_encoded(messages)

    async def _publisher(self, broker: BrokerKind) -> Publisher:
        publisher = self._started.get(broker)
        if publisher is not None:
            return publisher
        async with self._starting:
            publisher = self._started.get(broker)
            if publisher is None:
                publisher = create_broker_publisher(self._settings, broker)
                try:
                    await publisher.start()
                except BaseException:
                    await publisher.close()  # release what the failed start opened
                    raise
                self._started[broker] = publisher
            return publisher


def create_broker_publisher(settings: Settings, broker: BrokerKind) -> Publisher:
    if broker is BrokerKind.KAFKA:
        return KafkaPublisher(settings.kafka)
    return RabbitMQPublisher(settings.rabbitmq)


def create_consumer(
    settings: Settings,
    subscription: Subscription,
    handler: Handler,
    *,
    batch_handler: BatchHandler | None = None,
) -> Consumer:
    """``handler`` takes one event; ``batch_handler``, if given, each fetched run of them,
    with ``handler`` as the fallback when a run fails."""
    check_routes(settings)
    broker = broker_for(settings, subscription.event_type)
    if broker is BrokerKind.KAFKA:
        return KafkaConsumer(
            settings.kafka,
            settings.retry,
            subscription,
            handler,
            batch_handler=batch_handler,
            max_message_bytes=settings.max_message_bytes,
        )
    return RabbitMQConsumer(
        settings.rabbitmq,
        settings.retry,
        subscription,
        handler,
        batch_handler=batch_handler,
        max_message_bytes=settings.max_message_bytes,
    )
