"""Publish envelopes as persistent messages with publisher confirms."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractExchange, AbstractRobustConnection

from shared.envelope import Envelope, encode
from shared.messaging.rabbitmq.topology import declare_events_exchange
from shared.settings import RabbitMQSettings

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"


def to_message(envelope: Envelope) -> aio_pika.Message:
    return aio_pika.Message(
        encode(envelope),
        content_type=STRUCTURED_CONTENT_TYPE,
        delivery_mode=DeliveryMode.PERSISTENT,
        message_id=envelope.id,
        headers={"subject": envelope.subject},
    )


class RabbitMQPublisher:
    def __init__(self, settings: RabbitMQSettings) -> None:
        self._settings = settings
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._settings.url)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await declare_events_exchange(channel, self._settings)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def publish(self, envelope: Envelope) -> None:
        await self.publish_many((envelope,))

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        if self._exchange is None:
            raise RuntimeError("RabbitMQPublisher.start() was not awaited")
        exchange = self._exchange
        # One channel keeps publish order; gather pipelines the confirms.
        await asyncio.gather(
            *(
                exchange.publish(to_message(envelope), routing_key=envelope.type)
                for envelope in envelopes
            )
        )
