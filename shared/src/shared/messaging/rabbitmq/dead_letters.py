"""Publish a failed message to its subscriber's dead-letter exchange, confirmed."""

from __future__ import annotations

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractExchange

from shared.messaging.dead_letter_record import dead_letter_headers
from shared.messaging.types import IncomingMessage, Subscription


class RabbitMQDeadLetters:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._exchange: AbstractExchange | None = None

    def bind(self, exchange: AbstractExchange) -> None:
        self._exchange = exchange

    async def dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        if self._exchange is None:
            raise RuntimeError("dead-letter exchange not declared yet")
        headers = dead_letter_headers(self._subscription, message, reason, attempts)
        if message.key is not None:
            headers["subject"] = message.key.decode(errors="replace")
        await self._exchange.publish(
            aio_pika.Message(
                message.body, delivery_mode=DeliveryMode.PERSISTENT, headers=dict(headers)
            ),
            routing_key=self._subscription.subscriber,
        )
