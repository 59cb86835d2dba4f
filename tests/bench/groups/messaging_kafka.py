"""Kafka figures: ``shared`` against raw aiokafka and FastStream, on one Tansu broker."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker

from shared.envelope import Envelope
from shared.messaging import topic_for
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.kafka.publisher import CONTENT_TYPE_HEADER, STRUCTURED_CONTENT_TYPE
from shared.settings import BrokerKind, Settings, load_settings
from tests.bench.figure import Figure, comparison
from tests.bench.measure.rounds import side_by_side
from tests.bench.measure.shared_rates import (
    consume_with_shared,
    hand_written_publish_rate,
    publish_rate,
)
from tests.bench.measure.timing import DeliveryRecorder, rate_while_started
from tests.support.event_payloads import (
    EVENT_TYPE,
    order_placed_envelopes,
    publish_in_chunks,
    warm_up_and_timed,
)

log = logging.getLogger("bench")

ROUNDS = 5
PUBLISH_COUNT = 20_000
PUBLISH_CHUNK = 100
CONSUME_COUNT = 30_000
PARTITIONS = 6
# Tansu answers a waiting fetch only at its deadline; every contestant gets the same small one.
FETCH_MAX_WAIT_MS = 10
# Tansu holds a group join for half the session timeout; joins are outside the measurement.
SESSION_TIMEOUT_MS = 3_000
HEARTBEAT_INTERVAL_MS = SESSION_TIMEOUT_MS // 3
MAX_POLL_RECORDS = 500
RAW_FETCH_TIMEOUT_MS = 200  # the getmany timeout the shared consumer uses
CONSUME_TIMEOUT_S = 120.0


def bench_settings(
    bootstrap: str, topic_prefix: str, *, tls_cafile: Path | None = None
) -> Settings:
    """``tls_cafile``: the broker speaks TLS (security protocol SSL) with a certificate
    signed by that CA."""
    tls: dict[str, object] = (
        {} if tls_cafile is None else {"security_protocol": "SSL", "ssl_cafile": tls_cafile}
    )
    return load_settings(
        default_broker=BrokerKind.KAFKA,
        kafka={
            "bootstrap_servers": bootstrap,
            "topic_prefix": topic_prefix,
            "partitions": PARTITIONS,
            "idempotent_producer": False,  # Tansu refuses it
            "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
            "session_timeout_ms": SESSION_TIMEOUT_MS,
            "max_poll_records": MAX_POLL_RECORDS,
            **tls,
        },
    )


async def run(bootstrap: str, run_id: str) -> list[Figure]:
    publishing = await _publish_figures(bootstrap, run_id)
    consuming = await _consume_figures(bootstrap, run_id)
    return publishing + consuming


async def _publish_figures(bootstrap: str, run_id: str) -> list[Figure]:
    settings = bench_settings(bootstrap, f"bench-{run_id}.publish.")
    envelopes = order_placed_envelopes(PUBLISH_COUNT + PUBLISH_CHUNK, seed=1)
    warm_up, timed = warm_up_and_timed(envelopes, PUBLISH_CHUNK)
    log.info("kafka publish: %d order.placed envelopes in chunks of %d", len(timed), PUBLISH_CHUNK)

    async def with_shared(_: int) -> float:
        return await publish_with_shared(settings, warm_up, timed)

    async def with_aiokafka(_: int) -> float:
        return await publish_with_aiokafka(settings, warm_up, timed)

    rates = await side_by_side({"shared": with_shared, "aiokafka": with_aiokafka}, ROUNDS)
    return [
        comparison(
            "kafka.publish.shared", rates["shared"], "kafka.publish.aiokafka", rates["aiokafka"]
        ),
    ]


async def publish_with_shared(
    settings: Settings, warm_up: list[Envelope], timed: list[Envelope]
) -> float:
    return await publish_rate(KafkaPublisher(settings.kafka), warm_up, timed, PUBLISH_CHUNK)


async def publish_with_aiokafka(
    settings: Settings, warm_up: list[Envelope], timed: list[Envelope]
) -> float:
    """The same bytes, keys, headers and per-chunk pipelining, written against aiokafka."""
    topic = topic_for(settings.kafka, EVENT_TYPE)
    headers = [(CONTENT_TYPE_HEADER, STRUCTURED_CONTENT_TYPE)]
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        acks="all",
        enable_idempotence=False,
        linger_ms=0,
        request_timeout_ms=settings.kafka.request_timeout_ms,
    )

    async def send(documents: list[dict[str, Any]]) -> None:
        deliveries = [
            await producer.send(
                topic,
                value=json.dumps(document, separators=(",", ":")).encode(),
                key=document["subject"].encode(),
                headers=headers,
            )
            for document in documents
        ]
        await asyncio.gather(*deliveries)

    await producer.start()
    try:
        return await hand_written_publish_rate(send, warm_up, timed, PUBLISH_CHUNK)
    finally:
        await producer.stop()


async def _consume_figures(bootstrap: str, run_id: str) -> list[Figure]:
    settings = bench_settings(bootstrap, f"bench-{run_id}.consume.")
    await _fill_topic(settings, CONSUME_COUNT)
    topic = topic_for(settings.kafka, EVENT_TYPE)

    # A fresh consumer group per run reads the whole pre-filled topic from the start.
    async def with_shared(round_number: int) -> float:
        return await consume_with_shared(settings, f"shared-{round_number}", CONSUME_COUNT)

    async def with_aiokafka(round_number: int) -> float:
        group = f"{settings.kafka.topic_prefix}aiokafka-{round_number}"
        return await consume_with_aiokafka(settings, topic, group, CONSUME_COUNT)

    async def with_faststream(round_number: int) -> float:
        group = f"{settings.kafka.topic_prefix}faststream-{round_number}"
        return await consume_with_faststream(bootstrap, topic, group, CONSUME_COUNT)

    rates = await side_by_side(
        {"shared": with_shared, "aiokafka": with_aiokafka, "faststream": with_faststream},
        ROUNDS,
    )
    return [
        comparison(
            "kafka.consume.shared", rates["shared"], "kafka.consume.aiokafka", rates["aiokafka"]
        ),
        comparison(
            "kafka.consume.shared", rates["shared"], "kafka.consume.faststream", rates["faststream"]
        ),
    ]


async def _fill_topic(settings: Settings, count: int) -> None:
    log.info("kafka consume: filling a %d-partition topic with %d messages", PARTITIONS, count)
    envelopes = order_placed_envelopes(count, seed=2)
    await publish_in_chunks(KafkaPublisher(settings.kafka), envelopes, MAX_POLL_RECORDS)


async def consume_with_aiokafka(settings: Settings, topic: str, group: str, expected: int) -> float:
    """The loop one would write by hand: fetch a batch, parse and validate, commit the batch."""
    recorder = DeliveryRecorder(expected)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        max_poll_records=MAX_POLL_RECORDS,
    )

    async def loop() -> None:
        while recorder.count < expected:
            batch = await consumer.getmany(
                timeout_ms=RAW_FETCH_TIMEOUT_MS, max_records=MAX_POLL_RECORDS
            )
            for records in batch.values():
                for record in records:
                    await recorder.handle_body(record.value or b"")
            if batch:
                await consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})

    await consumer.start()
    try:
        await asyncio.wait_for(loop(), timeout=CONSUME_TIMEOUT_S)
    finally:
        await consumer.stop()
    return recorder.rate


async def consume_with_faststream(
    bootstrap: str, topic: str, group: str, expected: int, middlewares: Sequence[Any] = ()
) -> float:
    """FastStream's default subscriber: one message per call, offsets auto-committed;
    ``middlewares`` such as its OpenTelemetry one."""
    recorder = DeliveryRecorder(expected)
    # logger=None: the default access log prints two lines per message to stdout.
    broker = KafkaBroker(bootstrap, logger=None, middlewares=tuple(middlewares))

    @broker.subscriber(
        topic,
        group_id=group,
        auto_offset_reset="earliest",  # the topic was filled before the group existed
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
    )
    async def on_order_placed(body: bytes) -> None:
        # FastStream leaves application/cloudevents+json bodies undecoded: parse them here.
        await recorder.handle_body(body)

    return await rate_while_started(broker, recorder, CONSUME_TIMEOUT_S)
