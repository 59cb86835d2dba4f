"""Publish envelopes as persistent messages with publisher confirms."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractExchange, AbstractRobustConnection

from shared.envelope import STRUCTURED_CONTENT_TYPE
from shared.links.rabbitmq import connect_rabbitmq_robust
from shared.messaging.protocols import OutgoingMessage
from shared.messaging.publisher import PublisherBase
from shared.messaging.rabbitmq.topology import declare_events_exchange
from shared.settings import RabbitMQSettings
from shared.telemetry.metrics import count_published
from shared.telemetry.producer_spans import PublishItem, publishing
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE

SYSTEM = "rabbitmq"


def to_message(
    message: OutgoingMessage, trace_headers: tuple[str, str | None] | None = None
) -> aio_pika.Message:
    headers: dict[str, aio_pika.abc.FieldValue] = {"subject": message.key}
    if trace_headers is not None:
        headers[TRACEPARENT] = trace_headers[0]
        if trace_headers[1]:
            headers[TRACESTATE] = trace_headers[1]
    return aio_pika.Message(
        message.body,
        content_type=STRUCTURED_CONTENT_TYPE,
        delivery_mode=DeliveryMode.PERSISTENT,
        message_id=message.event_id,
        headers=headers,
    )


class RabbitMQPublisher(PublisherBase):
    def __init__(self, settings: RabbitMQSettings) -> None:
        self._settings = settings
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        self._connection = await connect_rabbitmq_robust(self._settings)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await declare_events_exchange(channel, self._settings)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def publish_encoded(self, messages: Sequence[OutgoingMessage]) -> None:
        if self._exchange is None:
            raise RuntimeError("RabbitMQPublisher.start() was not awaited")
        exchange = self._exchange

        def items() -> list[PublishItem]:
            # The routing key (the event type) names the channel, as a topic does on Kafka.
            return [
                PublishItem(
                    message.event_id, message.event_type, message.traceparent, message.tracestate
                )
                for message in messages
            ]

        with publishing(SYSTEM, items) as trace_headers:
            # One channel keeps publish order; gather pipelines the confirms.
            await asyncio.gather(
                *(
                    exchange.publish(
                        to_message(message, trace_headers[index] if trace_headers else None),
                        routing_key=message.event_type,
                    )
                    for index, message in enumerate(messages)
                )
            )
        count_published([message.event_type for message in messages], SYSTEM)
