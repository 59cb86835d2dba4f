"""Exchanges and queues, declared idempotently by whoever needs them first.

``events`` (topic, durable) routes by event type. Messages no queue is bound for
go to its alternate exchange ``events.unrouted`` and wait in the queue of that
name instead of being dropped. Each subscriber has a quorum queue bound to its
event type and its own dead-letter exchange and queue (``<name>.dlx`` and
``<name>.dlq``); the broker itself dead-letters a message redelivered more than
the delivery limit, so a message that crashes the process cannot loop forever.
"""

from __future__ import annotations

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue, FieldValue

from shared.messaging.names import (
    dead_letter_exchange,
    dead_letter_queue,
    queue_name,
    unrouted_name,
)
from shared.messaging.protocols import Subscription
from shared.settings import RabbitMQSettings

QUORUM: dict[str, FieldValue] = {"x-queue-type": "quorum"}


async def declare_events_exchange(
    channel: AbstractChannel, settings: RabbitMQSettings
) -> AbstractExchange:
    unrouted = await channel.declare_exchange(
        unrouted_name(settings), ExchangeType.FANOUT, durable=True
    )
    parking = await channel.declare_queue(unrouted_name(settings), durable=True, arguments=QUORUM)
    await parking.bind(unrouted)
    return await channel.declare_exchange(
        settings.exchange,
        ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": unrouted_name(settings)},
    )


async def declare_subscriber_queue(
    channel: AbstractChannel, settings: RabbitMQSettings, subscription: Subscription
) -> tuple[AbstractQueue, AbstractExchange]:
    """Declare the subscriber's queue and dead-letter pair; return (queue, dead-letter exchange)."""
    events = await declare_events_exchange(channel, settings)
    name = queue_name(settings, subscription.subscriber)
    dlx = await channel.declare_exchange(
        dead_letter_exchange(name), ExchangeType.FANOUT, durable=True
    )
    dlq = await channel.declare_queue(dead_letter_queue(name), durable=True, arguments=QUORUM)
    await dlq.bind(dlx)
    queue = await channel.declare_queue(
        name,
        durable=True,
        arguments={
            **QUORUM,
            "x-dead-letter-exchange": dead_letter_exchange(name),
            "x-delivery-limit": settings.delivery_limit,
        },
    )
    await queue.bind(events, routing_key=subscription.event_type)
    return queue, dlx
