"""What TLS costs the ``shared`` publisher and consumer: plaintext against TLS, on both
brokers, in alternating rounds, each run's throughput and this process's CPU per message.

The publisher and the consumer are the product's own (``KafkaPublisher``,
``RabbitMQPublisher``, ``create_consumer``), connecting through ``shared.links`` from
settings: ``security_protocol="SSL"`` with the test CA for Kafka, an ``amqps://`` URL
with it for RabbitMQ. TLS ends at a terminator (stunnel, ``tests.support.secured``) in
front of the plaintext broker:

- Kafka: two private in-memory Tansu brokers started alike, one reached directly, the
  other only through the terminator, whose port it advertises;
- RabbitMQ: the bench's broker, directly and through the terminator.

The figures (medians of ``ROUNDS`` runs a side; each ratio is TLS / plaintext):

- ``<broker>.tls.<publish|consume>.shared`` (messages/s), baseline
  ``<broker>.plaintext.<publish|consume>.shared``;
- ``….client_cpu`` (µs of this process's CPU per message, user + system, every thread),
  baseline the plaintext one.

The brokers' and the terminator's CPU is not counted, as in the rest of the group.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shared.envelope import Envelope
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.rabbitmq import RabbitMQPublisher
from shared.settings import Settings
from tests.bench.figure import Figure, comparison
from tests.bench.groups import messaging_kafka as kafka
from tests.bench.groups import messaging_rabbitmq as rabbitmq
from tests.bench.measure.rounds import MeteredContestant, metered_side_by_side
from tests.bench.measure.shared_rates import consume_metered, publish_metered
from tests.bench.measure.timing import Metered, wait_until
from tests.support.broker_readback import RabbitTopology, rabbitmq_topology
from tests.support.event_payloads import (
    order_placed_envelopes,
    publish_in_chunks,
    warm_up_and_timed,
)
from tests.support.secured.certs import Certificates, make_certificates
from tests.support.secured.kafka import secured_tansu
from tests.support.secured.stunnel import tls_terminator

log = logging.getLogger("bench")

ROUNDS = 3
PLAINTEXT = "plaintext"
TLS = "tls"
CPU_UNIT = "us/message"


@contextlib.contextmanager
def _certificates(run_id: str, broker: str) -> Iterator[Certificates]:
    """The test CA and a server certificate for 127.0.0.1 and localhost; the terminator's
    configuration and log and Tansu's log beside them, all removed at the end."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{run_id}-{broker}-tls-") as directory:
        yield make_certificates(Path(directory))


def _envelopes(*counts: int) -> list[Envelope]:
    """Enough envelopes for the largest of ``counts``: made once a broker, sliced for each
    use (making them takes seconds)."""
    return order_placed_envelopes(max(counts), seed=5)


def _figures(broker: str, operation: str, runs: dict[str, list[Metered]]) -> list[Figure]:
    tls, plaintext = runs[TLS], runs[PLAINTEXT]
    name = f"{broker}.tls.{operation}.shared"
    baseline = f"{broker}.plaintext.{operation}.shared"
    return [
        comparison(name, [run.rate for run in tls], baseline, [run.rate for run in plaintext]),
        comparison(
            f"{name}.client_cpu",
            [run.cpu_us_per_message for run in tls],
            f"{baseline}.client_cpu",
            [run.cpu_us_per_message for run in plaintext],
            unit=CPU_UNIT,
        ),
    ]


# Kafka


async def run_kafka(run_id: str) -> list[Figure]:
    with (
        _certificates(run_id, "kafka") as certs,
        secured_tansu(certs, certs.directory, tls=False) as plain_broker,
        secured_tansu(certs, certs.directory) as tls_broker,
    ):
        log.info(
            "kafka plaintext vs TLS: Tansu on %s, Tansu behind stunnel on %s",
            plain_broker.bootstrap,
            tls_broker.bootstrap,
        )

        def sides(prefix: str) -> dict[str, Settings]:
            return {
                PLAINTEXT: kafka.bench_settings(plain_broker.bootstrap, prefix),
                TLS: kafka.bench_settings(tls_broker.bootstrap, prefix, tls_cafile=certs.ca),
            }

        envelopes = _envelopes(kafka.PUBLISH_COUNT + kafka.PUBLISH_CHUNK, kafka.CONSUME_COUNT)
        publishing = await _kafka_publish(sides(f"bench-{run_id}.tls-publish."), envelopes)
        consuming = await _kafka_consume(sides(f"bench-{run_id}.tls-consume."), envelopes)
    return publishing + consuming


async def _kafka_publish(sides: dict[str, Settings], envelopes: list[Envelope]) -> list[Figure]:
    warm_up, timed = warm_up_and_timed(envelopes, kafka.PUBLISH_CHUNK, kafka.PUBLISH_COUNT)
    log.info("kafka publish, plaintext vs TLS: %d envelopes, %d rounds", len(timed), ROUNDS)

    def publish(settings: Settings) -> MeteredContestant:
        async def once(_: int) -> Metered:
            publisher = KafkaPublisher(settings.kafka)
            return await publish_metered(publisher, warm_up, timed, kafka.PUBLISH_CHUNK)

        return once

    runs = await metered_side_by_side(
        {side: publish(settings) for side, settings in sides.items()}, ROUNDS
    )
    return _figures("kafka", "publish", runs)


async def _kafka_consume(sides: dict[str, Settings], envelopes: list[Envelope]) -> list[Figure]:
    filling = envelopes[: kafka.CONSUME_COUNT]
    for side, settings in sides.items():
        log.info("kafka consume: filling the %s broker's topic, %d messages", side, len(filling))
        publisher = KafkaPublisher(settings.kafka)
        await publish_in_chunks(publisher, filling, kafka.MAX_POLL_RECORDS)

    def consume(side: str, settings: Settings) -> MeteredContestant:
        # A fresh consumer group per run reads the whole pre-filled topic from the start.
        async def once(round_number: int) -> Metered:
            return await consume_metered(settings, f"{side}-{round_number}", kafka.CONSUME_COUNT)

        return once

    runs = await metered_side_by_side(
        {side: consume(side, settings) for side, settings in sides.items()}, ROUNDS
    )
    return _figures("kafka", "consume", runs)


# RabbitMQ


def amqps_url(url: str, port: int) -> str:
    """``url`` (amqp://) with its credentials and virtual host, over TLS to 127.0.0.1:port
    (a name the test server certificate carries)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(("amqps", netloc, parts.path, parts.query, parts.fragment))


async def run_rabbitmq(url: str, run_id: str) -> list[Figure]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    with (
        _certificates(run_id, "rabbitmq") as certs,
        tls_terminator(port, certs, target_host=host) as tls_port,
    ):
        tls_url = amqps_url(url, tls_port)
        log.info(
            "rabbitmq plaintext vs TLS: %s:%d, and through stunnel on %d", host, port, tls_port
        )
        sides = {
            PLAINTEXT: rabbitmq.bench_settings(url, f"{run_id}.tls"),
            TLS: rabbitmq.bench_settings(tls_url, f"{run_id}.tls", ssl_cafile=certs.ca),
        }
        envelopes = _envelopes(
            rabbitmq.PUBLISH_COUNT + rabbitmq.PUBLISH_CHUNK, rabbitmq.CONSUME_COUNT
        )
        # Queues are declared, filled and deleted over plaintext, outside the timed part.
        async with rabbitmq_topology(sides[PLAINTEXT].rabbitmq) as topology:
            publishing = await _rabbitmq_publish(sides, topology, run_id, envelopes)
            consuming = await _rabbitmq_consume(sides, topology, run_id, envelopes)
    return publishing + consuming


async def _rabbitmq_publish(
    sides: dict[str, Settings], topology: RabbitTopology, run_id: str, envelopes: list[Envelope]
) -> list[Figure]:
    sink = f"bench-{run_id}.tls-publish-sink"
    await topology.declare_subscriber(sink)
    warm_up, timed = warm_up_and_timed(envelopes, rabbitmq.PUBLISH_CHUNK, rabbitmq.PUBLISH_COUNT)
    log.info("rabbitmq publish, plaintext vs TLS: %d envelopes, %d rounds", len(timed), ROUNDS)

    def publish(settings: Settings) -> MeteredContestant:
        async def once(_: int) -> Metered:
            publisher = RabbitMQPublisher(settings.rabbitmq)
            try:
                return await publish_metered(publisher, warm_up, timed, rabbitmq.PUBLISH_CHUNK)
            finally:
                await topology.purge(sink)

        return once

    runs = await metered_side_by_side(
        {side: publish(settings) for side, settings in sides.items()}, ROUNDS
    )
    await topology.delete_subscriber(sink)
    return _figures("rabbitmq", "publish", runs)


async def _rabbitmq_consume(
    sides: dict[str, Settings], topology: RabbitTopology, run_id: str, envelopes: list[Envelope]
) -> list[Figure]:
    filling = envelopes[: rabbitmq.CONSUME_COUNT]

    def queue_of(side: str, round_number: int) -> str:
        return f"bench-{run_id}.tls-{side}-{round_number}"

    async def fill(round_number: int) -> None:
        # One plaintext publish fills both sides' queues: each is bound to order.placed.
        queues = [queue_of(side, round_number) for side in sides]
        for queue in queues:
            await topology.declare_subscriber(queue)
        log.info("rabbitmq consume: filling 2 quorum queues with %d messages each", len(filling))
        publisher = RabbitMQPublisher(sides[PLAINTEXT].rabbitmq)
        await publish_in_chunks(publisher, filling, rabbitmq.FILL_CHUNK)

        async def filled() -> bool:
            counts = [await topology.message_count(queue) for queue in queues]
            return all(count >= len(filling) for count in counts)

        await wait_until(filled, rabbitmq.FILL_TIMEOUT_S, "the queues to fill")

    def consume(side: str, settings: Settings) -> MeteredContestant:
        async def once(round_number: int) -> Metered:
            queue = queue_of(side, round_number)
            try:
                return await consume_metered(settings, queue, rabbitmq.CONSUME_COUNT)
            finally:
                await topology.delete_subscriber(queue)

        return once

    runs = await metered_side_by_side(
        {side: consume(side, settings) for side, settings in sides.items()},
        ROUNDS,
        before_round=fill,
    )
    return _figures("rabbitmq", "consume", runs)
