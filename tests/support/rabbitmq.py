"""RabbitMQ as the tests see it: a channel for a block, the count of a queue's ready
messages, and teardown of the exchanges and queues a test declared."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import aio_pika
from aio_pika.abc import AbstractChannel

from shared.messaging import dead_letter_exchange, dead_letter_queue, queue_name, unrouted_name
from shared.settings import RabbitMQSettings


@asynccontextmanager
async def open_channel(settings: RabbitMQSettings) -> AsyncIterator[AbstractChannel]:
    """A channel (publisher confirms on, aio-pika's default) on a connection of its own,
    both closed when the block ends."""
    connection = await aio_pika.connect(settings.url)
    async with connection:
        yield await connection.channel()


async def ready_messages(settings: RabbitMQSettings, queue: str) -> int:
    """What a passive declaration reports: the ready messages only."""
    async with open_channel(settings) as channel:
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)


async def delete_topology(settings: RabbitMQSettings, subscribers: Iterable[str]) -> None:
    """Delete each subscriber's queue with its dead-letter pair, then the events exchange
    with its unrouted pair: everything the shared topology declares for them."""
    async with open_channel(settings) as channel:
        for subscriber in subscribers:
            await delete_subscriber_queue(channel, settings, subscriber)
        await delete_exchanges(channel, settings)


async def delete_subscriber_queue(
    channel: AbstractChannel, settings: RabbitMQSettings, subscriber: str
) -> None:
    """The subscriber's queue and its dead-letter exchange and queue."""
    queue = queue_name(settings, subscriber)
    await channel.queue_delete(queue)
    await channel.queue_delete(dead_letter_queue(queue))
    await channel.exchange_delete(dead_letter_exchange(queue))


async def delete_exchanges(channel: AbstractChannel, settings: RabbitMQSettings) -> None:
    """The events exchange and its unrouted exchange and queue."""
    await channel.queue_delete(unrouted_name(settings))
    await channel.exchange_delete(settings.exchange)
    await channel.exchange_delete(unrouted_name(settings))
