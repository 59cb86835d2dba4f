"""RabbitMQ figures: ``shared`` against raw aio-pika and FastStream, on one broker."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractIncomingMessage
from faststream.rabbit import RabbitBroker, RabbitQueue

from shared.envelope import STRUCTURED_CONTENT_TYPE, Envelope
from shared.messaging.rabbitmq import RabbitMQPublisher
from shared.settings import BrokerKind, Settings, load_settings
from tests.bench.figure import Figure, comparison
from tests.bench.measure.rounds import Contestant, side_by_side
from tests.bench.measure.shared_rates import (
    consume_with_shared,
    hand_written_publish_rate,
    publish_rate,
)
from tests.bench.measure.timing import (
    DeliveryRecorder,
    rate_while_started,
    wait_until,
)
from tests.support.broker_readback import RabbitTopology, rabbitmq_topology
from tests.support.event_payloads import (
    order_placed_envelopes,
    publish_in_chunks,
    warm_up_and_timed,
)

log = logging.getLogger("bench")

ROUNDS = 5
PUBLISH_COUNT = 10_000
PUBLISH_CHUNK = 100
CONSUME_COUNT = 10_000
FILL_CHUNK = 500
PREFETCH = 256
CONSUME_TIMEOUT_S = 120.0
FILL_TIMEOUT_S = 60.0


def bench_settings(url: str, run_id: str, *, ssl_cafile: Path | None = None) -> Settings:
    """``ssl_cafile``: the CA of an ``amqps://`` URL's certificate."""
    return load_settings(
        default_broker=BrokerKind.RABBITMQ,
        rabbitmq={
            "url": url,
            "exchange": f"bench-{run_id}.events",
            "prefetch": PREFETCH,
            "ssl_cafile": ssl_cafile,
        },
    )


async def run(url: str, run_id: str) -> list[Figure]:
    settings = bench_settings(url, run_id)
    async with rabbitmq_topology(settings.rabbitmq) as topology:
        publishing = await _publish_figures(settings, topology, run_id)
        consuming = await _consume_figures(settings, topology, run_id)
    return publishing + consuming


async def _publish_figures(
    settings: Settings, topology: RabbitTopology, run_id: str
) -> list[Figure]:
    # The messages land in one subscriber's quorum queue, emptied after every run.
    sink = f"bench-{run_id}.publish-sink"
    await topology.declare_subscriber(sink)
    envelopes = order_placed_envelopes(PUBLISH_COUNT + PUBLISH_CHUNK, seed=3)
    warm_up, timed = warm_up_and_timed(envelopes, PUBLISH_CHUNK)
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
    return await publish_rate(RabbitMQPublisher(settings.rabbitmq), warm_up, timed, PUBLISH_CHUNK)


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

        return await hand_written_publish_rate(send, warm_up, timed, PUBLISH_CHUNK)
    finally:
        await connection.close()


async def _consume_figures(
    settings: Settings, topology: RabbitTopology, run_id: str
) -> list[Figure]:
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
    await publish_in_chunks(RabbitMQPublisher(settings.rabbitmq), envelopes, FILL_CHUNK)


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
                    await recorder.handle_body(delivery.body)
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
        await recorder.handle_body(body)

    return await rate_while_started(broker, recorder, CONSUME_TIMEOUT_S)
