"""Publish a failed message to its subscriber's dead-letter exchange, confirmed, with its
content type, message id and trace headers."""

from __future__ import annotations

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractExchange, FieldValue

from shared.messaging.dead_letter_record import dead_letter_headers
from shared.messaging.protocols import IncomingMessage, Subscription
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE


class RabbitMQDeadLetters:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._exchange: AbstractExchange | None = None

    def bind(self, exchange: AbstractExchange) -> None:
        self._exchange = exchange

    async def dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        if self._exchange is None:
            raise RuntimeError("dead-letter exchange not declared yet")
        headers: dict[str, FieldValue] = dict(
            dead_letter_headers(self._subscription, message, reason, attempts)
        )
        if message.key is not None:
            headers["subject"] = message.key.decode(errors="replace")
        original = getattr(message.raw, "headers", None) or {}
        for name in (TRACEPARENT, TRACESTATE):
            if isinstance(original.get(name), str):
                headers[name] = original[name]
        await self._exchange.publish(
            aio_pika.Message(
                message.body,
                content_type=getattr(message.raw, "content_type", None),
                message_id=getattr(message.raw, "message_id", None),
                delivery_mode=DeliveryMode.PERSISTENT,
                headers=headers,
            ),
            routing_key=self._subscription.subscriber,
        )
