"""The rates of ``shared``'s own publisher and consumer, which the messaging and tracing
groups compare with hand-written loops and FastStream, and the same runs with this
process's CPU time beside the rate (``…_metered``: plaintext against TLS)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from shared.envelope import Envelope
from shared.messaging import Publisher, Subscription, create_consumer
from shared.settings import Settings
from tests.bench.measure.timing import (
    DeliveryRecorder,
    Metered,
    MeteredRecorder,
    messages_per_second,
    metered,
)
from tests.support.event_payloads import EVENT_TYPE, as_documents, chunks

CONSUME_TIMEOUT_S = 120.0


async def publish_rate(
    publisher: Publisher, warm_up: list[Envelope], timed: list[Envelope], chunk_size: int
) -> float:
    """Publish ``warm_up`` untimed (topic or exchange, metadata), then ``timed`` in chunks;
    return messages per second of the timed part."""
    return (await publish_metered(publisher, warm_up, timed, chunk_size)).rate


async def publish_metered(
    publisher: Publisher, warm_up: list[Envelope], timed: list[Envelope], chunk_size: int
) -> Metered:
    """As ``publish_rate``, with the CPU time the timed part took."""
    await publisher.start()
    try:
        await publisher.publish_many(warm_up)

        async def work() -> None:
            for chunk in chunks(timed, chunk_size):
                await publisher.publish_many(chunk)

        return await metered(len(timed), work)
    finally:
        await publisher.close()


async def hand_written_publish_rate(
    send: Callable[[list[dict[str, Any]]], Awaitable[None]],
    warm_up: list[Envelope],
    timed: list[Envelope],
    chunk_size: int,
) -> float:
    """``publish_rate`` for a loop written against a client library: ``send`` publishes
    one chunk of JSON-ready documents."""
    await send(as_documents(warm_up))
    documents = as_documents(timed)

    async def work() -> None:
        for chunk in chunks(documents, chunk_size):
            await send(chunk)

    return await messages_per_second(len(documents), work)


async def consume_with_shared(settings: Settings, subscriber: str, expected: int) -> float:
    """Consume ``expected`` messages as ``subscriber``; return messages per second."""
    recorder = DeliveryRecorder(expected)
    await _consume(settings, subscriber, recorder)
    return recorder.rate


async def consume_metered(settings: Settings, subscriber: str, expected: int) -> Metered:
    """As ``consume_with_shared``, with the CPU time from the first to the last message."""
    recorder = MeteredRecorder(expected)
    await _consume(settings, subscriber, recorder)
    return recorder.metered


async def _consume(settings: Settings, subscriber: str, recorder: DeliveryRecorder) -> None:
    consumer = create_consumer(settings, Subscription(subscriber, EVENT_TYPE), recorder.handle)
    running = asyncio.create_task(consumer.run())
    try:
        await recorder.wait(CONSUME_TIMEOUT_S, running)
    finally:
        consumer.stop()
        await running
