"""RabbitMQ figures: ``shared`` against raw aio-pika and FastStream, on one broker."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from faststream.rabbit import RabbitBroker, RabbitQueue

from shared.envelope import Envelope, decode
from shared.messaging.factory import create_consumer
from shared.messaging.rabbitmq import RabbitMQPublisher
from shared.messaging.rabbitmq.publisher import STRUCTURED_CONTENT_TYPE
from shared.messaging.rabbitmq.topology import (
    dead_letter_exchange_name,
    dead_letter_queue_name,
    declare_subscriber_queue,
    unrouted_name,
)
from shared.messaging.types import Subscription
from shared.settings import BrokerKind, Settings, load_settings
from tests.bench.payloads import EVENT_TYPE, as_documents, chunks, order_placed_envelopes
from tests.bench.report import Figure, comparison
from tests.bench.rounds import Contestant, side_by_side
from tests.bench.timing import DeliveryRecorder, messages_per_second, wait_until

log = logging.getLogger("bench")

ROUNDS = 5
PUBLISH_COUNT = 10_000
PUBLISH_CHUNK = 100
CONSUME_COUNT = 10_000
FILL_CHUNK = 500
PREFETCH = 256
CONSUME_TIMEOUT_S = 120.0
FILL_TIMEOUT_S = 60.0


def bench_settings(url: str, run_id: str) -> Settings:
    return load_settings(
        default_broker=BrokerKind.RABBITMQ,
        rabbitmq={"url": url, "exchange": f"bench-{run_id}.events", "prefetch": PREFETCH},
    )


async def run(url: str, run_id: str) -> list[Figure]:
    settings = bench_settings(url, run_id)
    async with _topology(settings) as topology:
        publishing = await _publish_figures(settings, topology, run_id)
        consuming = await _consume_figures(settings, topology, run_id)
    return publishing + consuming


class _Topology:
    """Declares subscriber queues the way ``shared`` does, and deletes all it declared."""

    def __init__(self, settings: Settings, channel: AbstractChannel) -> None:
        self.settings = settings
        self.channel = channel
        self._subscribers: list[str] = []

    async def declare_subscriber(self, subscriber: str) -> None:
        self._subscribers.append(subscriber)
        await declare_subscriber_queue(
            self.channel, self.settings.rabbitmq, Subscription(subscriber, EVENT_TYPE)
        )

    async def message_count(self, queue: str) -> int:
        declared = await self.channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0

    async def purge(self, queue: str) -> None:
        await (await self.channel.get_queue(queue)).purge()

    async def delete_subscriber(self, subscriber: str) -> None:
        await self.channel.queue_delete(subscriber)
        await self.channel.queue_delete(dead_letter_queue_name(subscriber))
        await self.channel.exchange_delete(dead_letter_exchange_name(subscriber))
        self._subscribers.remove(subscriber)

    async def delete_all(self) -> None:
        for subscriber in list(self._subscribers):
            await self.delete_subscriber(subscriber)
        settings = self.settings.rabbitmq
        await self.channel.exchange_delete(settings.exchange)
        await self.channel.queue_delete(unrouted_name(settings))
        await self.channel.exchange_delete(unrouted_name(settings))


@asynccontextmanager
async def _topology(settings: Settings) -> AsyncIterator[_Topology]:
    connection = await aio_pika.connect(settings.rabbitmq.url)
    try:
        topology = _Topology(settings, await connection.channel())
        try:
            yield topology
        finally:
            await topology.delete_all()
    finally:
        await connection.close()


async def _publish_figures(settings: Settings, topology: _Topology, run_id: str) -> list[Figure]:
    # The messages land in one subscriber's quorum queue, emptied after every run.
    sink = f"bench-{run_id}.publish-sink"
    await topology.declare_subscriber(sink)
    envelopes = order_placed_envelopes(PUBLISH_COUNT + PUBLISH_CHUNK, seed=3)
    warm_up, timed = envelopes[:PUBLISH_CHUNK], envelopes[PUBLISH_CHUNK:]
    log.info(
        "rabbitmq publish: %d order.placed envelopes in chunks of %d", len(timed), PUBLISH_CHUNK
    )

    async def with_shared(_: int) -> float:
        try:
            return await publish_with_shared(settings, warm_up, timed)
        finally:
            await topology.purge(sink)

    async def with_aio_pika(_: int) -> float:
        try:
            return await publish_with_aio_pika(settings, warm_up, timed)
        finally:
            await topology.purge(sink)

    rates = await side_by_side({"shared": with_shared, "aio-pika": with_aio_pika}, ROUNDS)
    await topology.delete_subscriber(sink)
    return [
        comparison(
            "rabbitmq.publish.shared",
            rates["shared"],
            "rabbitmq.publish.aio-pika",
            rates["aio-pika"],
        ),
    ]


async def publish_with_shared(
    settings: Settings, warm_up: list[Envelope], timed: list[Envelope]
) -> float:
    publisher = RabbitMQPublisher(settings.rabbitmq)
    await publisher.start()
    try:
        await publisher.publish_many(warm_up)

        async def work() -> None:
            for chunk in chunks(timed, PUBLISH_CHUNK):
                await publisher.publish_many(chunk)

        return await messages_per_second(len(timed), work)
    finally:
        await publisher.close()


async def publish_with_aio_pika(
    settings: Settings, warm_up: list[Envelope], timed: list[Envelope]
) -> float:
    """The same message properties, confirms and per-chunk pipelining, written against aio-pika."""
    connection = await aio_pika.connect(settings.rabbitmq.url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(settings.rabbitmq.exchange)

        async def send(documents: list[dict[str, Any]]) -> None:
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            json.dumps(document, separators=(",", ":")).encode(),
                            content_type=STRUCTURED_CONTENT_TYPE,
                            delivery_mode=DeliveryMode.PERSISTENT,
                            message_id=document["id"],
                            headers={"subject": document["subject"]},
                        ),
                        routing_key=document["type"],
                    )
                    for document in documents
                )
            )

        await send(as_documents(warm_up))
        documents = as_documents(timed)

        async def work() -> None:
            for chunk in chunks(documents, PUBLISH_CHUNK):
                await send(chunk)

        return await messages_per_second(len(documents), work)
    finally:
        await connection.close()


async def _consume_figures(settings: Settings, topology: _Topology, run_id: str) -> list[Figure]:
    envelopes = order_placed_envelopes(CONSUME_COUNT, seed=4)

    def queue_of(consumer: str, round_number: int) -> str:
        return f"bench-{run_id}.{consumer}-{round_number}"

    async def fill(round_number: int) -> None:
        # One publish fills every contestant's queue: each is bound to order.placed.
        queues = [queue_of(name, round_number) for name in _consumers()]
        for queue in queues:
            await topology.declare_subscriber(queue)
        log.info(
            "rabbitmq consume: filling %d quorum queues with %d messages each",
            len(queues),
            CONSUME_COUNT,
        )
        await _publish_all(settings, envelopes)

        async def filled() -> bool:
            counts = [await topology.message_count(queue) for queue in queues]
            return all(count >= CONSUME_COUNT for count in counts)

        await wait_until(filled, FILL_TIMEOUT_S, "the queues to fill")

    def contestant(name: str, consume: _ConsumeOnce) -> Contestant:
        async def once(round_number: int) -> float:
            queue = queue_of(name, round_number)
            try:
                return await consume(settings, queue, CONSUME_COUNT)
            finally:
                await topology.delete_subscriber(queue)

        return once

    rates = await side_by_side(
        {name: contestant(name, consume) for name, consume in _consumers().items()},
        ROUNDS,
        before_round=fill,
    )
    return [
        comparison(
            "rabbitmq.consume.shared",
            rates["shared"],
            "rabbitmq.consume.aio-pika",
            rates["aio-pika"],
        ),
        comparison(
            "rabbitmq.consume.shared",
            rates["shared"],
            "rabbitmq.consume.faststream",
            rates["faststream"],
        ),
    ]


_ConsumeOnce = Callable[[Settings, str, int], Awaitable[float]]
"""Consume ``expected`` messages from the named queue; return messages per second."""


def _consumers() -> dict[str, _ConsumeOnce]:
    return {
        "shared": consume_with_shared,
        "aio-pika": consume_with_aio_pika,
        "faststream": consume_with_faststream,
    }


async def _publish_all(settings: Settings, envelopes: list[Envelope]) -> None:
    publisher = RabbitMQPublisher(settings.rabbitmq)
    await publisher.start()
    try:
        for chunk in chunks(envelopes, FILL_CHUNK):
            await publisher.publish_many(chunk)
    finally:
        await publisher.close()


async def consume_with_shared(settings: Settings, subscriber: str, expected: int) -> float:
    recorder = DeliveryRecorder(expected)
    consumer = create_consumer(settings, Subscription(subscriber, EVENT_TYPE), recorder.handle)
    running = asyncio.create_task(consumer.run())
    try:
        await recorder.wait(CONSUME_TIMEOUT_S, running)
    finally:
        consumer.stop()
        await running
    return recorder.rate


async def consume_with_aio_pika(settings: Settings, queue_name: str, expected: int) -> float:
    """The loop one would write by hand: drain what arrived, parse and validate, ack it at once."""
    recorder = DeliveryRecorder(expected)
    connection = await aio_pika.connect(settings.rabbitmq.url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.get_queue(queue_name)
        arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()

        async def loop() -> None:
            while recorder.count < expected:
                batch = [await arrived.get()]
                while not arrived.empty() and len(batch) < PREFETCH:
                    batch.append(arrived.get_nowait())
                for delivery in batch:
                    envelope = decode(delivery.body)
                    await recorder.handle(envelope.event(), envelope)
                await batch[-1].ack(multiple=True)

        tag = await queue.consume(arrived.put)
        try:
            await asyncio.wait_for(loop(), timeout=CONSUME_TIMEOUT_S)
        finally:
            await queue.cancel(tag)
    finally:
        await connection.close()
    return recorder.rate


async def consume_with_faststream(settings: Settings, queue_name: str, expected: int) -> float:
    """FastStream's default subscriber: no prefetch limit, each message acked after its handler."""
    recorder = DeliveryRecorder(expected)
    # logger=None: the default access log prints two lines per message to stdout.
    broker = RabbitBroker(settings.rabbitmq.url, logger=None)

    # declare=False: consume the quorum queue declared above rather than declare a classic one.
    @broker.subscriber(RabbitQueue(queue_name, declare=False))
    async def on_order_placed(body: bytes) -> None:
        # FastStream leaves application/cloudevents+json bodies undecoded: parse them here.
        envelope = decode(body)
        await recorder.handle(envelope.event(), envelope)

    await broker.start()
    try:
        await recorder.wait(CONSUME_TIMEOUT_S)
    finally:
        await broker.stop()
    return recorder.rate
